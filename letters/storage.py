"""Private storage for letters: files live outside every public URL and are served only by an
authorised view. File names carry the letter's reference, never a BSN."""

from django.core.files.storage import FileSystemStorage, storages


class PrivateLetterStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    def url(self, name):
        raise NotImplementedError("Letters have no public URL; use the authorised download view.")


def letter_storage():
    """The configured `letters` storage; a callable so migrations do not freeze its location."""
    return storages["letters"]
