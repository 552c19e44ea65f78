"""/metrics as Prometheus scrapes it: behind a token, with request latency, letters by status and
the age of the oldest queued letter (from the database), sweep runs and what they found, and
task failures (counted by every worker in Redis)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from letters.models import Letter
from portal import metrics
from tests.portal import newcomer_cases as cases

pytestmark = pytest.mark.django_db
TOKEN = "a-metrics-token-of-at-least-32-characters"


@pytest.fixture
def scrape(client, settings, monkeypatch):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_STATE_SECONDS = 0
    monkeypatch.setattr(metrics, "_state_cache", None)

    def get(**headers):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/plain; version=")
        return response.content.decode()

    return get


def value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.M)
    assert match, f"{sample} not in:\n{text}"
    return float(match.group(1))


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    refused = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in refused.content.decode()


def test_scraped_on_the_internal_host_name_over_plain_http(scrape, production_like):
    assert "portal_letters" in scrape(HTTP_HOST="web:8000")


def test_request_latency_by_view(client, scrape):
    client.get("/")
    text = scrape()
    assert value(text, 'portal_http_request_duration_seconds_count{method="GET",view="start"}') >= 1
    assert value(text, 'portal_http_requests_total{method="GET",status="200",view="start"}') >= 1
    assert 'portal_http_request_duration_seconds_bucket{le="0.25",method="GET",view="start"}' in text


def test_letters_by_status_and_the_oldest_queued_letter(scrape):
    cases.ready("Amal", "Haddad")  # outside a commit the task never runs: the letter stays queued
    waiting = cases.ready("Samir", "Nasser")
    Letter.objects.filter(newcomer=waiting).update(queued_at=timezone.now() - timedelta(hours=2))
    text = scrape()
    assert value(text, 'portal_letters{status="queued"}') == 2
    assert value(text, 'portal_letters{status="issued"}') == 0
    assert 7150 < value(text, "portal_letters_oldest_queued_age_seconds") < 7300
    assert value(text, 'portal_metrics_source_up{source="database"}') == 1


def test_no_queued_letter_means_age_zero(scrape):
    assert value(scrape(), "portal_letters_oldest_queued_age_seconds") == 0


def test_sweep_runs_what_they_found_and_task_failures(scrape, settings):
    settings.METRICS_REDIS_URL = ""  # counted in this process, so the figures are exact
    metrics._local_counters.clear()
    from letters.tasks import sweep_due_letters

    cases.ready("Amal", "Haddad")
    Letter.objects.update(updated_at=timezone.now() - timedelta(hours=1))  # past the grace period
    sweep_due_letters.apply()
    metrics.record_task_failure("letters.tasks.issue_letter")
    text = scrape()
    assert value(text, "portal_letter_sweep_runs_total") == 1
    assert value(text, 'portal_letter_sweep_found_total{kind="dispatched"}') == 1
    assert value(text, "portal_letter_sweep_last_run_timestamp_seconds") > 0
    assert value(text, 'portal_celery_task_failures_total{task="letters.tasks.issue_letter"}') == 1


def test_a_failing_task_is_counted_by_the_signal(scrape, settings):
    settings.METRICS_REDIS_URL = ""
    metrics._local_counters.clear()
    from letters.tasks import issue_letter

    result = issue_letter.apply(args=[None], throw=False)  # no such letter: it raises
    assert result.failed() or result.state == "RETRY"
    text = scrape()
    failures = 'portal_celery_task_failures_total{task="letters.tasks.issue_letter"}'
    retries = 'portal_celery_task_retries_total{task="letters.tasks.issue_letter"}'
    assert (failures in text and value(text, failures) >= 1) or value(text, retries) >= 1


def test_counters_are_shared_through_redis(scrape, settings, redis_url):
    settings.METRICS_REDIS_URL = redis_url
    name = "tests.ops.a_task_only_this_test_fails"
    metrics.record_task_failure(name)
    metrics.record_task_failure(name)
    text = scrape()
    assert value(text, f'portal_celery_task_failures_total{{task="{name}"}}') >= 2
    assert value(text, 'portal_metrics_source_up{source="redis"}') == 1


def test_redis_down_is_a_gauge_not_an_error(scrape, settings):
    settings.METRICS_REDIS_URL = "redis://127.0.0.1:1/0"
    text = scrape()
    assert value(text, 'portal_metrics_source_up{source="redis"}') == 0
    assert value(text, 'portal_metrics_source_up{source="database"}') == 1
