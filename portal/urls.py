from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.start_page, name="start"),
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
