"""`update_rows`: each row gets its own values, NULLs included, in one statement on PostgreSQL."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integration.models import Newcomer
from integration.rows import update_rows

pytestmark = pytest.mark.django_db


def people(count: int) -> list[Newcomer]:
    return Newcomer.objects.bulk_create(
        Newcomer(given_names="Sam", surname=f"Persoon{n}", date_of_birth=date(1990, 6, 15), nationality="SY")
        for n in range(count))


def test_each_row_gets_its_own_values_and_no_other_row_changes():
    first, second, untouched = people(3)
    first.issued_letter_date, first.issued_letter_regime, first.correction_requested = (
        date(2026, 11, 30), "WI2021", True)
    second.issued_letter_date, second.issued_letter_regime, second.correction_requested = None, "WI2013", False
    Newcomer.objects.filter(pk=second.pk).update(issued_letter_date=date(2025, 1, 2))  # to be cleared

    with CaptureQueriesContext(connection) as queries:
        update_rows([first, second], ["issued_letter_date", "issued_letter_regime", "correction_requested"])

    stored = {person.pk: person for person in Newcomer.objects.all()}
    assert (stored[first.pk].issued_letter_date, stored[first.pk].issued_letter_regime,
            stored[first.pk].correction_requested) == (date(2026, 11, 30), "WI2021", True)
    assert (stored[second.pk].issued_letter_date, stored[second.pk].issued_letter_regime,
            stored[second.pk].correction_requested) == (None, "WI2013", False)
    assert (stored[untouched.pk].issued_letter_date, stored[untouched.pk].issued_letter_regime) == (None, "")
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 1


def test_nothing_to_write_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        update_rows([], ["issued_letter_date"])
    assert queries.captured_queries == []
