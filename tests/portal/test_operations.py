"""What operators rely on: production settings pass Django's deploy checks, demo conveniences
are refused in production, the health endpoint answers, and logs never carry a BSN. Health,
logs, metrics, the entrypoint and the stack in depth: tests/ops/."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DJANGO_ENV", "DEBUG", "DIGID_MOCK_ENABLED"} and not k.startswith("DIGID_OIDC_")}
    environment.update(
        DJANGO_ENV="production",
        SECRET_KEY="a-production-like-secret-key-with-enough-length-and-entropy-8f3k2j1h",
        ALLOWED_HOSTS="inburgering.example",
    )
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


DIGID_BROKER = {"DIGID_OIDC_SERVER_URL": "https://digid-broker.example", "DIGID_OIDC_CLIENT_ID": "mijn-inburgering",
                "DIGID_OIDC_CLIENT_SECRET": "a-client-secret"}


def test_production_settings_pass_the_deploy_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **DIGID_BROKER)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_digid_login_fails_the_deploy_checks():
    result = _manage("check", "--deploy")
    assert result.returncode != 0
    assert "portal.E002" in result.stdout + result.stderr


def test_production_refuses_the_digid_mock():
    result = _manage("check", DIGID_MOCK_ENABLED="true")
    assert result.returncode != 0
    assert "portal.E001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_health_reports_the_database(client):
    """/health/ stays as the old name of /health/ready (tests/ops/test_health.py has the rest)."""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["database"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_log_lines_never_carry_a_bsn(caplog):
    from portal.logging import RedactBsnFilter

    logger = logging.getLogger("tests.bsn")
    logger.addFilter(RedactBsnFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.bsn"):
            logger.info("lookup for %s failed", "111222333")
    finally:
        logger.filters.clear()
    assert "111222333" not in caplog.text
    assert "lookup for ********* failed" in caplog.text


def test_production_refuses_a_digid_broker_over_plain_http_at_deploy():
    result = _manage("check", "--deploy", **{**DIGID_BROKER, "DIGID_OIDC_SERVER_URL": "http://digid-broker.example"})
    assert result.returncode != 0
    assert "portal.E006" in result.stdout + result.stderr
