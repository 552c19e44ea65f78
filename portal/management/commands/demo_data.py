"""`manage.py demo_data`: the demo personas and staff accounts, safe to run again.

Refuses to run in production: the passwords are public.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integration.models import Newcomer
from portal.accounts.models import Role
from portal.demo.letter_states import ensure_start_letter_issued, start_letter
from portal.demo.personas import (
    LETTER_ISSUED,
    PERSONAS,
    case_state_label,
    create_persona,
    ensure_email,
    ensure_municipalities,
    ensure_planned_intake,
)
from portal.demo.staff import STAFF_ACCOUNTS, ensure_staff_account


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table, so the output can go into the README as it is."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Create the demo municipalities, newcomer personas and staff accounts (idempotent)."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("demo_data creates accounts with published passwords; "
                               "it does not run with DJANGO_ENV=production.")
        today = timezone.localdate()
        municipalities = ensure_municipalities()
        staff = {account.email: ensure_staff_account(account, municipalities) for account in STAFF_ACCOUNTS}
        duo_officer = next(user for user in staff.values() if user.role == Role.DUO_STAFF)

        rows, problems = [], []
        for persona in PERSONAS:
            newcomer = Newcomer.objects.filter(bsn=persona.bsn).first()
            if newcomer is None:
                newcomer = create_persona(persona, today, duo_officer, municipalities)
            else:
                ensure_email(newcomer, persona)  # loaded before the personas had e-mail addresses
                if persona.intake_in_working_days is not None:
                    ensure_planned_intake(newcomer, persona, today)  # the last one may have passed
            if persona.letter == LETTER_ISSUED:
                result = ensure_start_letter_issued(newcomer)
                if result.status != "issued":
                    problems.append(f"{persona.full_name}: start-date letter {result.status}"
                                    + (f" ({result.error.splitlines()[0]})" if result.error else ""))
            newcomer.refresh_from_db()
            letter = start_letter(newcomer)
            registration = newcomer.current_registration(today)
            rows.append([
                persona.full_name,
                persona.bsn,
                registration.municipality.name if registration else "-",
                persona.state,
                case_state_label(newcomer, today, letter.status if letter else None),
            ])

        self.stdout.write("\nNewcomers (log in with the DigiD mock and one of these BSNs):\n")
        self.stdout.write(format_table(["Persona", "BSN", "Municipality", "State", "Now by the rules"], rows))
        self.stdout.write("\nStaff accounts (demo-only passwords):\n")
        self.stdout.write(format_table(
            ["E-mail", "Password", "Role", "Municipality"],
            [[a.email, a.password, a.role, a.municipality_code or "-"] for a in STAFF_ACCOUNTS],
        ))
        if settings.EMAIL_BACKEND == "portal.devmail.MailboxBackend":
            self.stdout.write(f"\nThe demo sends no e-mail: it keeps each one as an .eml file, listed at "
                              f"{settings.SITE_URL}/dev/e-mail/ (log in as DUO staff).\n")
        for problem in problems:
            self.stderr.write(self.style.WARNING(
                f"{problem}. Run demo_data again once letter rendering works to retry."))
        self.stdout.write(self.style.SUCCESS(f"\nDemo data ready for {today:%Y-%m-%d}."))
