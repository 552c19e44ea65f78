"""/health/live and /health/ready as an orchestrator calls them: by the container's internal name,
over plain HTTP, against the real database, broker and letter storage."""

import os
import time

import pytest
from django.db import connection

from portal import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ask_the_database_about_migrations(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_live_answers_without_touching_any_dependency(client, django_assert_num_queries, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with django_assert_num_queries(0):
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_migrations_broker_cache_and_letter_storage(client, settings):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    broker = "ok" if settings.CELERY_BROKER_URL else "not used"
    assert checks == {"database": "ok", "migrations": "ok", "broker": broker, "cache": "ok",
                      "letter_storage": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_health_is_the_old_name_of_ready(client):
    assert client.get("/health/").json() == client.get("/health/ready").json()


def test_health_answers_on_the_internal_host_name_over_plain_http(client, production_like):
    for path in ("/health/live", "/health/ready", "/health/"):
        response = client.get(path, HTTP_HOST="web:8000")
        assert response.status_code == 200, (path, response.status_code)
    # Everything else still demands an allowed host and https.
    assert client.get("/", HTTP_HOST="web:8000").status_code == 400
    assert client.get("/", HTTP_HOST="portal.example").status_code == 301


def test_ready_names_an_unreachable_broker_without_saying_why(client, settings, caplog):
    settings.CELERY_BROKER_URL = "redis://:hunter2-secret@127.0.0.1:1/0"
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["broker"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert "hunter2" not in response.content.decode()
    assert "readiness check broker failed" in caplog.text


def test_ready_fails_when_the_letter_storage_takes_no_write(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {**settings.STORAGES, "letters": {
        "BACKEND": "letters.storage.PrivateLetterStorage", "OPTIONS": {"location": blocker / "letters"}}}
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["letter_storage"] == "unavailable"


def test_ready_is_not_ready_while_a_migration_is_pending(client):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'letters' AND name = "
                       "(SELECT max(name) FROM django_migrations WHERE app = 'letters')")
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "pending"


def test_health_takes_only_get(client):
    assert client.post("/health/ready").status_code == 405


# --- worker and beat: the heartbeat the health role reads --------------------------------------


def test_heartbeat_fresh_stale_or_missing(tmp_path, monkeypatch, capsys):
    beat = tmp_path / "beat.heartbeat"
    assert health.main(["beat", str(beat)]) == 1
    assert "no heartbeat yet" in capsys.readouterr().out
    beat.touch()
    assert health.main(["beat", str(beat)]) == 0
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert health.main(["beat", str(beat)]) == 1
    assert "120 s old" in capsys.readouterr().out
    monkeypatch.setenv("HEARTBEAT_MAX_AGE", "300")
    assert health.main(["beat", str(beat)]) == 0
    assert health.main(["web"]) == 2
