"""The demo sends what a person trying it wants to see: the municipalities have their contact
details, the personas an e-mail address, and the planned intake's invitation goes out."""

import pytest
from django.core import mail
from django.core.management import call_command
from icalendar import Calendar

from integration.models import IntakeAppointment, Municipality, Newcomer
from letters.models import Letter, LetterKind, LetterStatus
from portal.demo.personas import MUNICIPALITIES, PERSONAS, persona_by_key

pytestmark = pytest.mark.django_db


class _Sink:
    def write(self, text):
        pass


@pytest.fixture
def load_demo(django_capture_on_commit_callbacks):
    def load():
        with django_capture_on_commit_callbacks(execute=True):
            call_command("demo_data", stdout=_Sink(), stderr=_Sink())

    return load


def test_every_demo_municipality_can_be_reached_and_has_a_return_address(load_demo):
    load_demo()
    for code in MUNICIPALITIES:
        municipality = Municipality.objects.get(code=code)
        municipality.full_clean()
        assert municipality.return_address is not None and municipality.visiting_address
        assert municipality.phone and municipality.email.endswith(".example") and municipality.website


def test_every_persona_has_a_made_up_e_mail_address(load_demo):
    load_demo()
    for persona in PERSONAS:
        assert Newcomer.objects.get(bsn=persona.bsn).email == persona.email
        assert persona.email.endswith("@example.org")


def test_the_planned_intake_sends_its_invitation_with_the_calendar_event(load_demo):
    load_demo()
    dawit = Newcomer.objects.get(bsn=persona_by_key("issued").bsn)
    [appointment] = IntakeAppointment.objects.filter(newcomer=dawit)
    assert appointment.invitation_sent_at is not None
    [invitation] = [m for m in mail.outbox if m.to == [dawit.email] and m.attachments]
    [part] = [p for p in invitation.message().walk() if p.get_content_type() == "text/calendar"]
    assert Calendar.from_ical(part.get_payload(decode=True))["METHOD"] == "REQUEST"
    assert invitation.reply_to == ["inburgering@utrecht.example"]
    letter = Letter.objects.get(intake=appointment, kind=LetterKind.INTAKE_INVITATION)
    assert letter.status == LetterStatus.ISSUED, letter.last_error


def test_running_it_again_keeps_what_an_administrator_changed_and_fills_what_is_missing(load_demo):
    load_demo()
    utrecht = Municipality.objects.get(code="GM0344")
    utrecht.phone = "030 286 00 00"
    utrecht.save(update_fields=["phone"])
    Municipality.objects.filter(code="GM0363").update(website="")
    Newcomer.objects.filter(bsn=persona_by_key("waiting").bsn).update(email="")

    load_demo()

    assert Municipality.objects.get(code="GM0344").phone == "030 286 00 00"
    assert Municipality.objects.get(code="GM0363").website == "www.amsterdam.nl"
    assert Newcomer.objects.get(bsn=persona_by_key("waiting").bsn).email == persona_by_key("waiting").email
