from django.urls import path

from . import route_views, views

app_name = "duo"
urlpatterns = [
    path("", views.overdue_list, name="overdue_list"),
    path("te-laat.csv", views.overdue_csv, name="overdue_csv"),
    path("overzicht/", views.dashboard, name="dashboard"),
    path("personen/<uuid:public_id>/", views.person_detail, name="person"),
    path("personen/<uuid:public_id>/brieven/<uuid:letter_id>/", views.letter_download, name="letter"),
    path("personen/<uuid:public_id>/opnieuw-uitgeven/", views.retry_issuance, name="retry"),
    path("personen/<uuid:public_id>/contact/", views.record_contact, name="record_contact"),
    path("personen/<uuid:public_id>/besluit/", views.change_decision, name="change_decision"),
    path("personen/<uuid:public_id>/brief-corrigeren/", views.correct_letter, name="correct_letter"),
    path("personen/<uuid:public_id>/resultaat/", route_views.record_result, name="record_result"),
    path("verlengingen/", route_views.extension_list, name="extension_list"),
    path("verlengingen/<uuid:request_id>/", route_views.extension_detail, name="extension"),
    path("verlengingen/<uuid:request_id>/bijlage/", route_views.extension_attachment, name="extension_attachment"),
    path("resultaten-inlezen/", route_views.import_results, name="import_results"),
    path("zoeken/", route_views.find_person, name="find_person"),
]
