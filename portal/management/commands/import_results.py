"""Import the exam system's results from a CSV file, as the DUO page does: every row checked
first, nothing imported when one is refused, a result id imported before is skipped. The
import is audited under the DUO staff account given with --actor."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.accounts.models import Role
from portal.duo.actions import import_results


class Command(BaseCommand):
    help = "Import exam results from a CSV file (result_id, bsn, component, date, outcome)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--actor", required=True, help="E-mail address of the DUO staff member importing.")

    def handle(self, *args, path: Path, actor: str, **options):
        staff = get_user_model().objects.filter(role__in=(Role.DUO_STAFF, Role.ADMINISTRATOR))
        user = staff.filter(email__iexact=actor).first()
        if user is None:
            raise CommandError("--actor must be the e-mail address of a DUO staff account")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {path}: {error}") from None
        report = import_results(user, text, filename=path.name)
        for row in report.refused:
            self.stderr.write(f"line {row.line} ({row.result_id or '-'}): {'; '.join(row.reasons)}")
        if not report.ok:
            raise CommandError(f"nothing imported: {len(report.refused)} rows refused")
        self.stdout.write(f"imported {report.imported} results for {report.people} people; "
                          f"{report.already_imported} imported before")
