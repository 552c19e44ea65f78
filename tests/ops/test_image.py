"""The image and the stack, read as an operator would: the entrypoint's roles, what the image
leaves out, the compose health checks pointing at the endpoints `make prod-smoke` proves, no
default database password, and an .env made from .env.example that production accepts."""

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def _prod_smoke():
    spec = importlib.util.spec_from_file_location("prod_smoke", ROOT / "docker" / "prod_smoke.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("prod_smoke", module)
    spec.loader.exec_module(module)
    return module


def entrypoint(*args, **env):
    environment = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
                   "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run([str(ENTRYPOINT), *args], env=environment, capture_output=True, text=True, timeout=120)


# --- The entrypoint --------------------------------------------------------------------------------


def test_health_role_reads_the_heartbeat_of_worker_and_beat(tmp_path):
    run_dir = tmp_path / "run"
    assert entrypoint("health", "worker", PORTAL_RUN_DIR=str(run_dir)).returncode == 1
    run_dir.mkdir()
    (run_dir / "worker.heartbeat").touch()
    alive = entrypoint("health", "worker", PORTAL_RUN_DIR=str(run_dir))
    assert alive.returncode == 0 and "alive" in alive.stdout
    old = time.time() - 600
    os.utime(run_dir / "worker.heartbeat", (old, old))
    assert entrypoint("health", "worker", PORTAL_RUN_DIR=str(run_dir)).returncode == 1
    assert entrypoint("health", "beat", PORTAL_RUN_DIR=str(run_dir)).returncode == 1
    assert entrypoint("health", "nonsense").returncode == 2


def test_health_role_of_web_fails_when_nothing_listens(tmp_path):
    result = entrypoint("health", "web", PORT="1", PORTAL_RUN_DIR=str(tmp_path))
    assert result.returncode == 1 and "unhealthy" in result.stdout


def test_migrate_role_refuses_a_production_that_fails_the_deploy_checks(tmp_path):
    result = entrypoint("migrate", PORTAL_RUN_DIR=str(tmp_path), DJANGO_ENV="production",
                        SECRET_KEY="a-production-like-secret-key-with-enough-length-and-entropy-8f3k2j1h",
                        ALLOWED_HOSTS="portal.example", DATABASE_URL="sqlite:///" + str(tmp_path / "never.db"),
                        DIGID_OIDC_SERVER_URL="http://digid-broker.example", DIGID_OIDC_CLIENT_ID="portal",
                        DIGID_OIDC_CLIENT_SECRET="secret")
    assert result.returncode != 0
    assert "portal.E006" in result.stdout + result.stderr
    assert not (tmp_path / "never.db").exists()  # the gate comes before any migration


def test_other_commands_run_as_they_are(tmp_path):
    result = entrypoint("echo", "hello", PORTAL_RUN_DIR=str(tmp_path))
    assert result.returncode == 0 and result.stdout == "hello\n"


# --- The image: Dockerfile and .dockerignore -----------------------------------------------------------


def test_the_image_leaves_secrets_local_state_and_tests_out():
    smoke = _prod_smoke()
    patterns = smoke.dockerignore_patterns(ROOT / ".dockerignore")
    left_out = [".env", ".env.production", ".venv/bin/python", "var/db.sqlite3", ".git/HEAD", "tests/conftest.py",
                "portal/__pycache__/settings.cpython-311.pyc", "letters/x.pyc", "mijn_inburgering.egg-info/PKG-INFO",
                "tests/oidc_provider/node_modules/x.js", "docker/prod_smoke.py"]
    taken = [".env.example", "manage.py", "portal/settings.py", "docker/entrypoint.sh", "docker/gunicorn.conf.py",
             "requirements.txt", "static/fonts/DejaVuSans.ttf", "locale/nl/LC_MESSAGES/django.mo"]
    assert [path for path in left_out if not smoke.ignored(path, patterns)] == []
    assert [path for path in taken if smoke.ignored(path, patterns)] == []


def test_the_dockerfile_runs_what_prod_smoke_runs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements.txt" in dockerfile
    assert "FROM ${PYTHON_IMAGE} AS build" in dockerfile and "FROM ${PYTHON_IMAGE} AS runtime" in dockerfile
    assert "RUN docker/entrypoint.sh build" in dockerfile  # collectstatic at build time, as root
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile
    user = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user == ["USER portal:portal"]
    assert "chown" not in dockerfile  # the code stays root's; only /data/private is the user's
    smoke = (ROOT / "docker" / "prod_smoke.py").read_text()
    for step in ('"--require-hashes"', "copy_build_context", '[image.entrypoint, "build"]', '"migrate"',
                 'image.start("web")', 'image.start("worker")', 'image.start("beat")', '"health"', '"backup"',
                 '"restore"', '"verify-letters"'):
        assert step in smoke, step


# --- The stack: docker-compose.yml -------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_health_checks_call_the_entrypoint_health_role(compose):
    services = compose["services"]
    for role in ("web", "worker", "beat"):
        assert services[role]["command"] == [role]
        assert services[role]["healthcheck"]["test"] == ["CMD", "/app/docker/entrypoint.sh", "health", role]
    # ... which for web is /health/ready on the container's own port, what prod-smoke checks.
    assert "path=/health/ready" in ENTRYPOINT.read_text()


def test_compose_migrates_once_before_web_worker_and_beat(compose):
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"] and services["migrate"]["restart"] == "no"
    for role in ("web", "worker", "beat"):
        assert services[role]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[role]["restart"] == "unless-stopped"
        assert "migrate" not in " ".join(services[role]["command"])


def test_compose_has_no_default_database_password_and_pins_its_images(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${POSTGRES_PASSWORD:?" in text and "${POSTGRES_PASSWORD:-" not in text
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith((":latest", ":7", ":15")) or name in {
            "migrate", "web", "worker", "beat"}, image
    assert compose["services"]["mailpit"]["profiles"] == ["demo"]


# --- .env.example ----------------------------------------------------------------------------------------


def test_an_env_file_made_from_the_example_starts_production_safely(tmp_path):
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    values.update(DJANGO_ENV="production", DJANGO_SETTINGS_MODULE="portal.settings", PATH="/usr/bin:/bin",
                  SECRET_KEY="a-production-like-secret-key-with-enough-length-and-entropy-8f3k2j1h",
                  DATABASE_URL="sqlite:///" + str(tmp_path / "db.sqlite3"), CACHE_URL="locmemcache://")
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.ALLAUTH_TRUSTED_PROXY_COUNT, s.DEBUG, "
            "s.DIGID_MOCK_ENABLED, s.LOG_FORMAT)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=values, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "31536000", "1", "False", "False", "json"]
