from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views
from .digid import mock as digid_mock

urlpatterns = [
    path("", views.start_page, name="start"),
    path("uitleg/drie-voorwaarden/", views.explain_conditions, name="explain_conditions"),
    path("uitleg/acht-weken/", views.explain_eight_weeks, name="explain_eight_weeks"),
    path("inloggen/", digid_mock.mock_login, name="digid_login"),
    path("uitloggen/", views.log_out, name="log_out"),
    path("mijn-inburgering/", include("portal.newcomer.urls")),
    path("health/", views.health, name="health"),
    path("duo/", include("portal.duo.urls")),
    path("gemeente/", include("portal.municipality.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Developer previews (the letter as HTML); only while debugging and once the letters app has them.
if settings.DEBUG and find_spec("letters.urls") is not None:
    urlpatterns.append(path("dev/", include("letters.urls")))
