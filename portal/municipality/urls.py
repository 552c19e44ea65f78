from django.urls import path

from . import views

app_name = "municipality"
urlpatterns = [
    path("", views.work_list, name="work_list"),
    path("planning/", views.planning, name="planning"),
    path("personen/<uuid:public_id>/", views.person_detail, name="person"),
    path("personen/<uuid:public_id>/afspraak/", views.schedule, name="schedule"),
    path("personen/<uuid:public_id>/pip/", views.write_plan, name="plan"),
    path("afspraken/<uuid:public_id>/verplaatsen/", views.reschedule, name="reschedule"),
    path("afspraken/<uuid:public_id>/annuleren/", views.cancel, name="cancel"),
    path("afspraken/<uuid:public_id>/uitkomst/", views.outcome, name="outcome"),
]
