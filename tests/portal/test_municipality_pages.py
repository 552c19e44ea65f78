"""What a municipal officer does in /gemeente/: the work list, planning, scheduling with
conflicts refused on the field, outcomes and the PIP."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from integration.models import IntakeAppointment, IntakeStatus, PersonalPlan
from letters.models import Letter, LetterKind
from portal.audit.models import AuditRecord

from . import municipality_cases as m
from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return m.officer(m.utrecht())


@pytest.fixture
def client_of(client, officer):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English texts
    return m.logged_in(client, officer)


def newcomer_in(where, given_names="Samir", surname="Bakri", registered_days_ago=20):
    person = cases.newcomer(given_names, surname, bsn_days_ago=registered_days_ago + 20)
    cases.permit(person, decided_days_ago=registered_days_ago + 10)
    cases.registration(person, registered_days_ago=registered_days_ago, where=where)
    cases.decision(person)
    return person


def schedule_data(officer, start, kind="INTERVIEW", location=m.ROOM, minutes=60):
    local = timezone.localtime(start)
    return {"kind": kind, "officer": officer.pk, "location": location, "day": local.date().isoformat(),
            "start_time": local.strftime("%H:%M"), "duration": minutes}


def test_the_work_list_shows_where_each_person_stands(client_of, officer):
    m.person_with_history(officer, "Amal", "Haddad")
    newcomer_in(officer.municipality, "Samir", "Bakri", registered_days_ago=75)  # PIP due date passed
    newcomer_in(officer.municipality, "Lina", "Omar", registered_days_ago=60)  # due within 2 weeks
    newcomer_in(m.amsterdam(), "Yusuf", "Amsterdammer")
    page = client_of.get(reverse("municipality:work_list")).content.decode()
    assert "Haddad" in page and "Bakri" in page and "Omar" in page
    assert "Amsterdammer" not in page
    passed = client_of.get(reverse("municipality:work_list"), {"due": "passed"}).content.decode()
    assert "Bakri" in passed and "Omar" not in passed and "Haddad" not in passed
    approaching = client_of.get(reverse("municipality:work_list"), {"due": "approaching"}).content.decode()
    assert "Omar" in approaching and "Bakri" not in approaching
    written = client_of.get(reverse("municipality:work_list"), {"stage": "pip_written"}).content.decode()
    assert "Haddad" in written and "Bakri" not in written
    # In the afternoon: from a Tuesday or Wednesday, 4 and 5 days ahead both fall on the Monday
    # after, and Haddad's test is booked that morning.
    m.book(newcomer_in(officer.municipality, "Noor", "Karimi"), officer, m.at(4, hour=14))
    planned = client_of.get(reverse("municipality:work_list"), {"stage": "intake_planned"}).content.decode()
    assert "Karimi" in planned and "Bakri" not in planned and "Haddad" not in planned
    needs = client_of.get(reverse("municipality:work_list"), {"stage": "needs_intake"}).content.decode()
    assert "Bakri" in needs and "Omar" in needs and "Karimi" not in needs
    by_name = client_of.get(reverse("municipality:work_list"), {"sort": "name"}).content.decode()
    assert by_name.index("Bakri") < by_name.index("Haddad") < by_name.index("Omar")


def test_scheduling_plans_the_appointment_queues_the_letter_and_audits(client_of, officer):
    person = newcomer_in(officer.municipality)
    start = m.at(3)
    response = client_of.post(reverse("municipality:schedule", args=[person.public_id]),
                              schedule_data(officer, start))
    assert response.status_code == 302
    appointment = IntakeAppointment.objects.get(newcomer=person)
    assert appointment.status == IntakeStatus.PLANNED and appointment.starts_at == start
    assert Letter.objects.filter(intake=appointment, kind=LetterKind.INTAKE_INVITATION).count() == 1
    assert AuditRecord.objects.filter(newcomer=person, what="intake appointment (INTERVIEW)").exists()
    page = client_of.get(reverse("municipality:planning"), {"dag": timezone.localtime(start).date().isoformat()})
    assert "Bakri" in page.content.decode()


def test_a_double_booking_is_refused_on_the_officer_field_with_the_booked_times(client_of, officer):
    first, second = newcomer_in(officer.municipality), newcomer_in(officer.municipality, "Lina", "Omar")
    start = m.at(3)
    client_of.post(reverse("municipality:schedule", args=[first.public_id]), schedule_data(officer, start))
    response = client_of.post(reverse("municipality:schedule", args=[second.public_id]),
                              schedule_data(officer, start + timedelta(minutes=30), location="Kamer 1.01"))
    assert response.status_code == 400
    form = response.context["form"]
    local = timezone.localtime(start)
    [message] = form.errors["officer"]
    assert f"{local:%H:%M}" in message and f"{local + timedelta(hours=1):%H:%M}" in message
    html = response.content.decode()
    # Django links the field to its error itself (aria-describedby), and the summary links to it.
    assert 'aria-describedby="id_officer_error"' in html and 'id="id_officer_error"' in html
    assert 'href="#id_officer"' in html and "There is a problem" in html
    assert IntakeAppointment.objects.filter(newcomer=second).count() == 0


def test_free_times_are_suggested_around_what_is_booked(client_of, officer):
    person = newcomer_in(officer.municipality)
    response = client_of.get(reverse("municipality:schedule", args=[person.public_id]),
                             {"kind": "INTERVIEW", "location": m.ROOM, "officer": officer.pk})
    suggestions = response.context["suggestions"]
    assert suggestions and all(s["starts_at"] > timezone.now() for s in suggestions)
    booked = m.book(newcomer_in(officer.municipality, "Lina", "Omar"), officer, suggestions[0]["starts_at"])
    again = client_of.get(reverse("municipality:schedule", args=[person.public_id]),
                          {"kind": "INTERVIEW", "location": m.ROOM, "officer": officer.pk}).context["suggestions"]
    assert all(s["ends_at"] <= booked.starts_at or s["starts_at"] >= booked.ends_at for s in again)


def test_recording_three_no_shows_marks_the_third(client_of, officer):
    person = newcomer_in(officer.municipality, registered_days_ago=60)
    texts = []
    for days in (-30, -20, -10):
        appointment = m.book(person, officer, m.at(days))
        response = client_of.post(reverse("municipality:outcome", args=[appointment.public_id]),
                                  {"attended": "no", "notes": ""}, follow=True)
        texts.append(response.content.decode())
    assert "no-show number 2" in texts[1] and "third no-show" not in texts[1].lower()
    assert "no-show 3" in texts[2] and "third no-show" in texts[2].lower()
    assert IntakeAppointment.objects.filter(newcomer=person, status=IntakeStatus.NO_SHOW).count() == 3


def test_cancelling_keeps_the_appointment_and_withdraws_the_invitation(client_of, officer):
    person = newcomer_in(officer.municipality)
    client_of.post(reverse("municipality:schedule", args=[person.public_id]), schedule_data(officer, m.at(3)))
    appointment = IntakeAppointment.objects.get(newcomer=person)
    response = client_of.post(reverse("municipality:cancel", args=[appointment.public_id]), {"reason": "ill"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == IntakeStatus.CANCELLED
    assert Letter.objects.get(intake=appointment).status == "cancelled"


def test_rescheduling_makes_a_new_appointment_with_a_new_invitation(client_of, officer):
    person = newcomer_in(officer.municipality)
    client_of.post(reverse("municipality:schedule", args=[person.public_id]), schedule_data(officer, m.at(3)))
    old = IntakeAppointment.objects.get(newcomer=person)
    data = schedule_data(officer, m.at(4, hour=14))
    del data["kind"]
    assert client_of.post(reverse("municipality:reschedule", args=[old.public_id]), data).status_code == 302
    new = IntakeAppointment.objects.get(newcomer=person, status=IntakeStatus.PLANNED)
    assert new.starts_at == m.at(4, hour=14)
    assert Letter.objects.filter(intake=new).count() == 1


def test_the_first_pip_fixes_the_period_and_queues_one_period_letter(client_of, officer):
    person = newcomer_in(officer.municipality, registered_days_ago=40)
    appointment = m.book(person, officer, m.at(-5))
    client_of.post(reverse("municipality:outcome", args=[appointment.public_id]), {"attended": "yes"})
    plan_date = timezone.localdate() - timedelta(days=1)
    data = {"plan_date": plan_date.isoformat(), "route": "B1", "exams": ["reading", "listening", "writing",
            "speaking", "knm"], "pvt_required": "on", "map_required": "on"}
    check = client_of.post(reverse("municipality:plan", args=[person.public_id]), data)
    # Saving the first PIP fixes the period: the officer sees its dates and confirms first.
    first_day = plan_date + timedelta(days=1)
    assert check.status_code == 200 and not PersonalPlan.objects.filter(newcomer=person).exists()
    assert date_format(first_day, "j F Y") in check.content.decode()
    assert client_of.post(reverse("municipality:plan", args=[person.public_id]),
                          {**data, "confirmed": "yes"}).status_code == 302
    page = client_of.get(reverse("municipality:person", args=[person.public_id])).content.decode()
    assert "PIP" in page
    revised = {**data, "route": "Z", "exams": [], "plan_date": timezone.localdate().isoformat()}
    assert client_of.post(reverse("municipality:plan", args=[person.public_id]), revised).status_code == 302
    assert PersonalPlan.objects.filter(newcomer=person).count() == 2
    assert Letter.objects.filter(newcomer=person, kind=LetterKind.PERIOD).count() == 1
    file = client_of.get(reverse("municipality:person", args=[person.public_id])).context["file"]
    assert file.period.first_day == plan_date + timedelta(days=1)


def test_a_pip_before_the_intake_is_refused_with_a_message(client_of, officer):
    person = newcomer_in(officer.municipality)
    response = client_of.post(reverse("municipality:plan", args=[person.public_id]),
                              {"plan_date": timezone.localdate().isoformat(), "route": "Z"})
    assert response.status_code == 400
    assert "brede intake" in " ".join(response.context["form"].non_field_errors())


def test_the_work_list_finds_a_name_without_accents_or_case_anywhere_in_it(client_of, officer):
    ozdemir = newcomer_in(officer.municipality, given_names="Ayşe", surname="Özdemir")
    newcomer_in(officer.municipality, given_names="Amal", surname="Haddad")

    for typed in ("özdemir", "OZDEM", "zdem", "ayse", "Ayşe Öz"):
        rows = client_of.get(reverse("municipality:work_list"), {"name": typed}).context["rows"]
        assert [row.pk for row in rows] == [ozdemir.pk], typed


def test_the_work_list_continues_after_the_last_row_of_the_page(client_of, officer, settings):
    from portal.municipality import selectors

    people = [newcomer_in(officer.municipality, given_names=f"Person{n:02}", surname="Page", registered_days_ago=n)
              for n in range(1, 8)]
    seen, after = [], None
    while True:
        page = selectors.work_list_page(officer.municipality, selectors.WorkListFilters(sort="due"), after, size=3)
        seen += [row.pk for row in page.rows]
        if page.next_cursor is None:
            break
        after = selectors.WorkListCursor.parse(str(page.next_cursor), "due")
    # Every person exactly once, earliest PIP due date first (the earliest registration).
    assert seen == [person.pk for person in reversed(people)]
