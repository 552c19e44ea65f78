from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationConfig(AppConfig):
    name = "integration"
    verbose_name = "Inburgering"

    def ready(self):
        from .guards import install_sqlite_guards

        post_migrate.connect(install_sqlite_guards, dispatch_uid="integration.install_sqlite_guards")
