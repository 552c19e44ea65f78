import pytest


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Every test writes letters to its own private folder (the letters storage follows the
    setting, see letters.storage)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "letters": {"BACKEND": "letters.storage.PrivateLetterStorage", "OPTIONS": {"location": tmp_path / "letters"}},
        "attachments": {"BACKEND": "integration.storage.PrivateAttachmentStorage",
                        "OPTIONS": {"location": tmp_path / "attachments"}},
    }
    return tmp_path / "letters"


@pytest.fixture(autouse=True)
def _english_messages_outside_requests():
    """Messages raised outside a request (validators, services) read in English in tests;
    requests still pick their language through the locale middleware (Dutch by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def utrecht():
    """The municipality most tests happen in."""
    from tests import factories

    return factories.utrecht()


def log_in_with_mfa(client, user):
    """Log in as allauth leaves a session after the password and the TOTP code were given
    (staff pages and the admin demand both)."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import RequestFactory

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    client.force_login(user, backend="portal.accounts.backends.StaffPasswordBackend")
    request = RequestFactory().get("/")
    request.session = client.session
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    return client


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: allauth remembers used TOTP codes there per user
    id, and ids come back after a rolled-back test."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _tasks_in_process_unless_testing_workers(request):
    """Tasks run in the test process, whatever broker the environment names, so a test sees
    their effect without a worker; the worker tests (marked `worker`) use the real broker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from portal.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved
