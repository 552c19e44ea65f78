"""Private storage for letters: files live outside every public URL and are served only by an
authorised view. File names carry the letter's reference, never a BSN."""

from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class PrivateLetterStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    def url(self, name):
        raise NotImplementedError("Letters have no public URL; use the authorised download view.")


class _ConfiguredLetterStorage(LazyObject):
    """The `letters` entry of settings.STORAGES, looked up when first used and again after the
    setting changes, as Django does for its default storage (a model field keeps this object
    for good, so it must not keep one storage for good)."""

    def _setup(self):
        self._wrapped = storages["letters"]


_configured_letter_storage = _ConfiguredLetterStorage()


@receiver(setting_changed)
def _forget_letter_storage(setting, **kwargs):
    if setting == "STORAGES":
        _configured_letter_storage._wrapped = empty


def letter_storage():
    """The configured `letters` storage; a callable so migrations do not freeze its location."""
    return _configured_letter_storage
