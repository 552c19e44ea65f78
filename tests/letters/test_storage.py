"""Letters are private files: they land in the configured private folder and have no URL."""

import pytest

from letters.issuing import issue_letter as issue
from letters.models import Letter, LetterStatus

from .conftest import make_ready_newcomer

pytestmark = pytest.mark.django_db


def test_an_issued_letter_is_stored_in_the_configured_private_folder_under_its_reference(_private_storage,
                                                                                         django_capture_on_commit_callbacks):
    newcomer = make_ready_newcomer()
    letter = Letter.objects.get(newcomer=newcomer)
    issue(letter.pk)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED
    stored = _private_storage / letter.pdf.name
    assert stored.is_file() and stored.read_bytes().startswith(b"%PDF")
    assert letter.reference in letter.pdf.name and newcomer.bsn not in letter.pdf.name


def test_a_letter_has_no_public_url():
    with pytest.raises(NotImplementedError):
        Letter._meta.get_field("pdf").storage.url("2026/11/INB-SD-0000-0000.pdf")
