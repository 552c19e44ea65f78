import pytest


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Every test writes letters to its own private folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "letters": {"BACKEND": "letters.storage.PrivateLetterStorage", "OPTIONS": {"location": tmp_path / "letters"}},
    }
    from django.core.files.storage import storages

    storages._storages.pop("letters", None)
    yield
    storages._storages.pop("letters", None)


@pytest.fixture(autouse=True)
def _english_messages_outside_requests():
    """Messages raised outside a request (validators, services) read in English in tests;
    requests still pick their language through the locale middleware (Dutch by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield
