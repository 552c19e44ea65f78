"""The case facts query compiled once per process (`case_facts.load_compiled`) goes through
Django's query compiler, which is not a public API. It must read exactly what the plain ORM
query reads, for every demo persona, and the setting switches between them."""

import pytest
from django.core.management import call_command

from integration import case_facts
from integration.models import Newcomer

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people():
    call_command("demo_data", verbosity=0)
    people = list(Newcomer.objects.order_by("pk").values_list("pk", flat=True))
    assert len(people) >= 10, "the demo has its personas"
    return people


def test_both_paths_read_the_same_facts_for_every_demo_persona(demo_people):
    for newcomer_id in demo_people:
        plain = case_facts.facts_of(case_facts.load_plain(newcomer_id))
        compiled = case_facts.facts_of(case_facts.load_compiled(newcomer_id))
        assert compiled == plain, f"newcomer {newcomer_id}"
        assert case_facts.status_of_loaded(case_facts.load_compiled(newcomer_id)) == \
            case_facts.status_of_loaded(case_facts.load_plain(newcomer_id))


def test_the_setting_switches_to_the_plain_path(demo_people, settings, django_assert_num_queries, monkeypatch):
    def compiled_must_not_run(*args, **kwargs):
        raise AssertionError("the compiled query was used")

    settings.CASE_FACTS_COMPILED_QUERY = False
    monkeypatch.setattr(case_facts, "load_compiled", compiled_must_not_run)
    with django_assert_num_queries(1):
        loaded = case_facts.load(demo_people[0])
    assert loaded.pk == demo_people[0]


def test_an_unknown_person_is_not_found_on_either_path(db):
    for load in (case_facts.load_plain, case_facts.load_compiled):
        with pytest.raises(Newcomer.DoesNotExist):
            load(-1)
