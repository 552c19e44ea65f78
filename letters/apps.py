from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Brieven"

    def ready(self):
        from integration.guards import sqlite_guard

        from . import (
            receivers,  # noqa: F401  (connects to integration's case_state_changed)
            tasks,  # noqa: F401  (registers the tasks `letters.publish` sends by name)
        )
        from .models import FROZEN_ONCE_ISSUED, Letter

        def issued_letter_guard() -> str:
            changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}"
                                  for column in (Letter._meta.get_field(name).column for name in FROZEN_ONCE_ISSUED))
            return ("CREATE TRIGGER letters_issued_letter_is_immutable BEFORE UPDATE ON letters_letter "
                    f"FOR EACH ROW WHEN OLD.status = 'issued' AND ({changed}) BEGIN "
                    "SELECT RAISE(ABORT, 'issued letter cannot be changed; issue a correction instead'); END;")

        sqlite_guard("letters_issued_letter_is_immutable", issued_letter_guard)
