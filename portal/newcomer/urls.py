from django.urls import path

from . import extension_views, views

app_name = "newcomer"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("brieven/", views.letters, name="letters"),
    path("brieven/<uuid:public_id>/", views.letter_download, name="letter_download"),
    path("brieven/<uuid:public_id>/uitleg/", views.letter_companion, name="letter_companion"),
    path("stappen/", views.steps, name="steps"),
    path("meer-tijd/", extension_views.extension, name="extension"),
    path("intake/", views.intake, name="intake"),
    path("intake/<uuid:public_id>/agenda.ics", views.intake_calendar, name="intake_calendar"),
]
