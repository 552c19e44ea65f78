"""Private storage for what people send us (an extension request's attachment): files live
outside every public URL, under random names, and are served only by an authorised view."""

from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class PrivateAttachmentStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    def url(self, name):
        raise NotImplementedError("Attachments have no public URL; use the authorised download view.")


class _ConfiguredAttachmentStorage(LazyObject):
    """The `attachments` entry of settings.STORAGES, looked up when first used and again after
    the setting changes (tests give every test its own folder)."""

    def _setup(self):
        self._wrapped = storages["attachments"]


_configured = _ConfiguredAttachmentStorage()


@receiver(setting_changed)
def _forget_attachment_storage(setting, **kwargs):
    if setting == "STORAGES":
        _configured._wrapped = empty


def attachment_storage():
    """The configured `attachments` storage; a callable so migrations do not freeze its location."""
    return _configured
