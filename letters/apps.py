from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Brieven"

    def ready(self):
        from . import receivers  # noqa: F401  (connects to integration's case_state_changed)
