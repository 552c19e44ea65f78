from django.contrib import admin
from django.urls import include, path

from . import health, languages, metrics, pages, views
from .digid import adapter as digid_adapter
from .digid import login as digid_login
from .duo import preview as duo_preview

urlpatterns = [
    path("", views.start_page, name="start"),
    path("uitleg/drie-voorwaarden/", views.explain_conditions, name="explain_conditions"),
    path("uitleg/acht-weken/", views.explain_eight_weeks, name="explain_eight_weeks"),
    path("privacy/", pages.privacy, name="privacy"),
    path("toegankelijkheid/", pages.accessibility, name="accessibility"),
    path("cookies/", pages.cookies, name="cookies"),
    path("contact/", pages.contact, name="contact"),
    path("inloggen/", digid_login.login_page, name="digid_login"),
    path("uitloggen/", views.log_out, name="log_out"),
    path("uitgelogd/", views.logged_out, name="logged_out"),
    path("mijn-inburgering/", include("portal.newcomer.urls")),
    # Health and metrics: answered by health.InternalEndpointsMiddleware whatever the Host header
    # and scheme; listed here for reverse() and for readers.
    path("health/", health.ready, name="health"),
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("duo/", include("portal.duo.urls")),
    path("gemeente/", include("portal.municipality.urls")),
    path("admin/", admin.site.urls),
    # The DigiD broker's return, before allauth's own pattern for the same path (see the view).
    path("accounts/oidc/<str:provider_id>/login/callback/", digid_adapter.callback, name="digid_callback"),
    path("accounts/", include("allauth.urls")),
    # Django's set_language, which also stores a logged-in newcomer's choice (portal.languages).
    path("i18n/setlang/", languages.set_language, name="set_language"),
]

# Developer preview of a letter as HTML: answers only while DEBUG is on (see the view).
urlpatterns.append(path("dev/brieven/<uuid:public_id>/voorbeeld/", duo_preview.letter_preview,
                        name="letter_preview"))
# The e-mails the demo sent: answers only in the demo or with DEBUG on (portal.devmail).
urlpatterns.append(path("dev/e-mail/", include("portal.devmail")))
