"""Print the current TOTP code of the demo staff accounts (demo only)."""

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo.staff import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current six-digit code for the demo staff accounts' shared TOTP secret."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("demo_totp is for the demo only.")
        import time

        from allauth.mfa import app_settings

        counter = int(time.time()) // app_settings.TOTP_PERIOD
        self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter)))
