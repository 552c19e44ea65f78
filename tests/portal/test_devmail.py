"""The demo's mailbox: the demo keeps the e-mails it sends as .eml files, and DUO staff (with
TOTP) read them at /dev/e-mail/; never with production settings."""

import email
import email.policy

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from letters.ical import Method
from letters.mail import automatic_email, calendar_part
from portal.accounts.backends import STAFF_BACKEND
from portal.accounts.models import Role
from portal.devmail import MailboxBackend
from tests.conftest import log_in_with_mfa

from . import newcomer_cases as cases

pytestmark = pytest.mark.django_db

ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//NL\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
       b"UID:intake-1@example.org\r\nSEQUENCE:0\r\nDTSTAMP:20261130T100000Z\r\n"
       b"DTSTART:20261210T090000Z\r\nSUMMARY:Brede intake\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture
def mailbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "portal.devmail.MailboxBackend"
    settings.DEMO_MAILBOX_DIR = tmp_path / "mail"
    settings.DEBUG = True
    return tmp_path / "mail"


@pytest.fixture
def duo_staff(django_user_model):
    return django_user_model.objects.create_user(email="medewerker@duo.example", password="x" * 16,
                                                 role=Role.DUO_STAFF)


def send_invitation():
    automatic_email("Uitnodiging: intakegesprek", "Hallo,\n\nU bent uitgenodigd.\n", ["amal@example.org"],
                    attachments=(calendar_part(ICS, Method.REQUEST, "uitnodiging.ics"),)).send()


def test_each_sent_mail_is_kept_as_an_eml_file_a_mail_program_opens(mailbox):
    send_invitation()
    mail.send_mail("Tweede", "Tekst", None, ["b@example.org"])

    files = sorted(mailbox.glob("*.eml"))
    assert len(files) == 2
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Uitnodiging: intakegesprek" and message["To"] == "amal@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    [attachment] = message.iter_attachments()
    assert Calendar.from_ical(attachment.get_payload(decode=True))["METHOD"] == "REQUEST"
    assert not list(mailbox.glob(".*"))  # no half-written temporary files left


def test_duo_staff_read_the_list_the_message_and_its_calendar_attachment(mailbox, client, duo_staff):
    send_invitation()
    log_in_with_mfa(client, duo_staff)

    listing = client.get("/dev/e-mail/")
    assert listing.status_code == 200
    assert "Uitnodiging: intakegesprek" in listing.text and "amal@example.org" in listing.text
    [name] = [file.name for file in mailbox.glob("*.eml")]

    detail = client.get(reverse("devmail:detail", args=[name]))
    assert detail.status_code == 200
    assert "U bent uitgenodigd." in detail.text and "auto-generated" in detail.text
    assert "uitnodiging.ics" in detail.text and "REQUEST" in detail.text

    attachment = client.get(reverse("devmail:attachment", args=[name, 1]))
    assert attachment["Content-Type"] == "text/calendar"
    assert Calendar.from_ical(attachment.content)["METHOD"] == "REQUEST"
    whole = client.get(reverse("devmail:download", args=[name]))
    assert whole["Content-Type"] == "message/rfc822" and whole.content == (mailbox / name).read_bytes()


def test_names_that_are_not_stored_messages_are_not_found(mailbox, client, duo_staff):
    send_invitation()
    log_in_with_mfa(client, duo_staff)
    for name in ("..", "..%2F..%2Fsettings.py", "20261130T100000000000-" + "0" * 32 + ".eml", "x.eml"):
        assert client.get(f"/dev/e-mail/{name}/").status_code == 404


def test_the_mailbox_asks_for_staff_with_the_second_factor(mailbox, client, duo_staff, django_user_model):
    assert client.get("/dev/e-mail/").status_code == 302  # to the staff login
    officer = django_user_model.objects.create_user(email="ambtenaar@utrecht.example", password="x" * 16,
                                                    role=Role.MUNICIPAL_OFFICER, municipality=cases.municipality())
    log_in_with_mfa(client, officer)
    assert client.get("/dev/e-mail/").status_code == 403
    password_only = Client()
    log_in_with_mfa(Client(), duo_staff)
    password_only.force_login(duo_staff, backend=STAFF_BACKEND)
    response = password_only.get("/dev/e-mail/")
    assert response.status_code == 302 and reverse("mfa_reauthenticate") in response["Location"]


def test_the_mailbox_does_not_exist_outside_the_demo(mailbox, client, duo_staff, settings):
    settings.DEBUG = False  # DJANGO_ENV is "test" here: neither the demo nor debugging
    log_in_with_mfa(client, duo_staff)
    assert client.get("/dev/e-mail/").status_code == 404

    settings.DEBUG, settings.IS_PRODUCTION = True, True
    assert client.get("/dev/e-mail/").status_code == 404


def test_the_mailbox_backend_refuses_production_settings(settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        MailboxBackend()
