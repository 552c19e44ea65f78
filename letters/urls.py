"""Development-only URLs of the letters app; mounted by the site only when DEBUG is on."""

from django.urls import path

from . import views

app_name = "letters_dev"

urlpatterns = [
    path("brieven/<uuid:public_id>/voorbeeld/", views.letter_preview, name="preview"),
]
