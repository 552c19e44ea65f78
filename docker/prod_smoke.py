"""`make prod-smoke`: the production image, started here without Docker, checked, and stopped.

Every step is the image's own: the runtime lock file installed with hashes into a fresh virtual
environment (the Dockerfile's build and runtime stages), the tree `COPY . .` takes (read from
.dockerignore), `docker/entrypoint.sh build` (collectstatic, as root), and then the entrypoint's
roles `migrate`, `web`, `worker`, `beat`, `health`, `backup`, `restore` and `verify-letters`,
run as a user that owns only the letters folder and its run folders, with production settings
against PostgreSQL and Redis.

DigiD is the real OpenID Connect test provider (tests/oidc_provider), which speaks plain HTTP on
127.0.0.1 only. The deploy gate is not relaxed for it: `migrate` (which runs `check --deploy`
first) and `check` get the broker URL as production must have it, https, and pass; the same gate
is shown to refuse the provider's http:// URL (portal.E006); the serving roles, which run no
deploy checks, log in through the provider on loopback.

Checked: /health/live and /health/ready on an internal host name over plain HTTP, the health
role of web, worker and beat, static files with far-future cache headers, pages still redirect to
https, the metrics endpoint refuses without the token and shows letters with it; a newcomer made
ready → the start-date letter issued by the worker → downloaded after a DigiD login; JSON log
lines with the request id, carried from the command that made the newcomer into the worker's
task, and no BSN in any log line; a backup restored into an empty database and storage, every
letter file verified. Then everything is stopped and nothing may be left running.

Needs: PostgreSQL (trust or a password in PROD_SMOKE_ADMIN_DATABASE_URL), Redis, Node.js with
`npm ci --prefix tests/oidc_provider` done, pg_dump/pg_restore/psql. Environment (all optional):
PROD_SMOKE_ADMIN_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
PROD_SMOKE_REDIS_URL (default redis://127.0.0.1:6379; databases 14 and 15 are emptied),
PROD_SMOKE_PYTHON (the interpreter of the image's venv), PROD_SMOKE_USER (default portal-smoke,
created with useradd when running as root), PROD_SMOKE_KEEP=1 keeps the work folder.
"""

# A harness that starts the image's commands by design (fixed argument lists, no shell).
# ruff: noqa: S603, S607, S108

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.oidc_broker import OidcBroker, broker_available  # noqa: E402

SMOKE_DATABASE = "inburgering_prod_smoke"
RESTORED_DATABASE = "inburgering_prod_smoke_restored"
CALLBACK = "/accounts/oidc/digid/login/callback/"
LETTER_TIMEOUT = 120
STOP_TIMEOUT = 30
BSN = re.compile(r"(?<!\d)\d{9}(?!\d)")


def say(message: str) -> None:
    print(f"[prod-smoke {time.monotonic() - STARTED:6.1f} s] {message}", flush=True)


STARTED = time.monotonic()


class SmokeFailure(AssertionError):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


# --- The image's tree: .dockerignore ------------------------------------------------------------------


def dockerignore_patterns(path: Path) -> list[tuple[bool, re.Pattern]]:
    """(is an exception, regex) for each line of a .dockerignore, in order."""
    patterns = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:].strip() if negate else line
        line = line.strip("/")
        regex, i = "", 0
        while i < len(line):
            if line.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif line.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif line[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif line[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                regex, i = regex + re.escape(line[i]), i + 1
        patterns.append((negate, re.compile(regex + r"(?:/.*)?\Z")))
    return patterns


def ignored(relative: str, patterns) -> bool:
    """Docker's rule: the last pattern that matches the path (or a folder above it) decides."""
    verdict = False
    for negate, pattern in patterns:
        if pattern.match(relative):
            verdict = not negate
    return verdict


def copy_build_context(source: Path, target: Path) -> list[str]:
    """Copy what `COPY . .` copies; returns the top-level names copied."""
    patterns = dockerignore_patterns(source / ".dockerignore")
    for folder, dirs, files in os.walk(source):
        relative_folder = Path(folder).relative_to(source)
        kept_dirs = []
        for name in sorted(dirs):
            relative = (relative_folder / name).as_posix()
            if not ignored(relative, patterns):
                kept_dirs.append(name)
                (target / relative).mkdir(parents=True, exist_ok=True)
        dirs[:] = kept_dirs
        for name in files:
            relative = (relative_folder / name).as_posix()
            if not ignored(relative, patterns):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / relative, target / relative, follow_symlinks=False)
    return sorted(path.name for path in target.iterdir())


# --- The services the image needs -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def admin_connection():
    import psycopg

    url = os.environ.get("PROD_SMOKE_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return psycopg.connect(url, autocommit=True), url


def recreate_database(name: str, *, drop_only: bool = False) -> str:
    connection, url = admin_connection()
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def redis_url(db: int) -> str:
    base = os.environ.get("PROD_SMOKE_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def flush_redis(*urls: str) -> None:
    import redis

    for url in urls:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.flushdb()
        client.close()


# --- Running the entrypoint's roles as the image's user ---------------------------------------------


@dataclass
class RunAs:
    uid: int | None
    gid: int | None
    name: str

    def popen_arguments(self) -> dict:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, *paths: Path) -> None:
        for path in paths:
            path.mkdir(parents=True, exist_ok=True)
            if self.uid is not None:
                os.chown(path, self.uid, self.gid)
            path.chmod(0o700)


def the_user() -> RunAs:
    if os.geteuid() != 0:
        return RunAs(None, None, pwd.getpwuid(os.geteuid()).pw_name)
    name = os.environ.get("PROD_SMOKE_USER", "portal-smoke")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", name], check=True)
        entry = pwd.getpwnam(name)
    check(entry.pw_uid != 0, f"{name} must not be root")
    return RunAs(entry.pw_uid, entry.pw_gid, name)


@dataclass
class Service:
    role: str
    process: subprocess.Popen
    log: Path
    run_dir: Path

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines() if self.log.exists() else []


@dataclass
class Image:
    """The laid-out image: its venv, its /app, and how to run its entrypoint."""

    work: Path
    venv: Path
    app: Path
    user: RunAs
    environment: dict[str, str] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)

    @property
    def entrypoint(self) -> str:
        return str(self.app / "docker" / "entrypoint.sh")

    def env(self, run_dir: Path, **extra: str) -> dict[str, str]:
        return {**self.environment, "PORTAL_RUN_DIR": str(run_dir), **extra}

    def run(self, *args: str, run_dir: Path, timeout: float = 300, check_ok: bool = True, **extra: str):
        result = subprocess.run([self.entrypoint, *args], cwd=self.app, env=self.env(run_dir, **extra),
                                capture_output=True, text=True, timeout=timeout,
                                **self.user.popen_arguments())
        if check_ok and result.returncode != 0:
            raise SmokeFailure(f"entrypoint {' '.join(args)} exited {result.returncode}:\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def start(self, role: str, **extra: str) -> Service:
        run_dir = self.work / "run" / role
        self.user.own(run_dir)
        log = self.work / "logs" / f"{role}.log"
        with open(log, "ab") as output:
            process = subprocess.Popen([self.entrypoint, role], cwd=self.app, env=self.env(run_dir, **extra),
                                       stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True, **self.user.popen_arguments())
        service = Service(role, process, log, run_dir)
        self.services.append(service)
        return service

    def stop_all(self) -> list[str]:
        """SIGTERM to each role's main process, as `docker stop` sends it to the container's
        PID 1; a worker then finishes its task (warm shutdown). Returns what had to be killed."""
        for service in self.services:
            with contextlib.suppress(ProcessLookupError):
                os.kill(service.process.pid, signal.SIGTERM)
        killed = []
        deadline = time.monotonic() + STOP_TIMEOUT
        for service in self.services:
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                killed.append(service.role)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait(timeout=10)
        # Children that outlived their main process (a pool child) are still in the group.
        for service in self.services:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, 0)
                killed.append(f"{service.role} (children)")
                os.killpg(service.process.pid, signal.SIGKILL)
        return killed


def base_python() -> str:
    chosen = os.environ.get("PROD_SMOKE_PYTHON")
    if chosen:
        return chosen
    if os.geteuid() != 0:
        return getattr(sys, "_base_executable", sys.executable)
    # The image's user must be able to run the interpreter: not one under root's home.
    for candidate in (getattr(sys, "_base_executable", sys.executable), "/usr/local/bin/python3.11",
                      "/usr/bin/python3.11", "/usr/bin/python3"):
        path = Path(candidate).resolve()
        if path.exists() and all(os.stat(parent).st_mode & 0o001 for parent in path.parents) \
                and os.stat(path).st_mode & 0o001:
            return str(path)
    raise SmokeFailure("no Python that a non-root user can run; set PROD_SMOKE_PYTHON")


def build_image(work: Path, user: RunAs) -> Image:
    """The Dockerfile's steps: the locked runtime dependencies, the build context, `build`."""
    venv = work / "venv"
    python = base_python()
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "--quiet", "--disable-pip-version-check"]
    lock = ["--require-hashes", "--no-deps", "-r", str(ROOT / "requirements.txt")]
    # The build stage makes the wheels, the runtime stage installs only those, hashes checked twice.
    subprocess.run([*pip, "wheel", "--wheel-dir", str(work / "wheels"), *lock], check=True)
    subprocess.run([*pip, "install", "--no-index", "--find-links", str(work / "wheels"), *lock], check=True)
    shutil.rmtree(work / "wheels")
    check_result = subprocess.run([str(venv / "bin" / "pip"), "check"], capture_output=True, text=True)
    check(check_result.returncode == 0, f"the runtime lock is not complete:\n{check_result.stdout}")
    say(f"runtime venv: wheels built from requirements.txt, installed from them (hashes checked), "
        f"{Path(python).name}")

    app = work / "app"
    app.mkdir()
    top = copy_build_context(ROOT, app)
    for never in (".env", ".venv", "var", ".git", "tests", "node_modules"):
        check(never not in top, f".dockerignore lets {never} into the image")
    check(not list(app.rglob("__pycache__")), ".dockerignore lets __pycache__ into the image")
    say(f"build context copied: {', '.join(top)}")

    image = Image(work=work, venv=venv, app=app, user=user)
    image.environment = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/nonexistent" if user.uid is not None else os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "APP_HOME": str(app),
        "DJANGO_ENV": "production",
        "STATIC_ROOT": str(app / "staticfiles"),
    }
    build = subprocess.run([image.entrypoint, "build"], cwd=app, env=image.environment,
                           capture_output=True, text=True, timeout=300)
    check(build.returncode == 0, f"entrypoint build failed:\n{build.stdout[-2000:]}\n{build.stderr[-2000:]}")
    check((app / "staticfiles" / "staticfiles.json").exists(), "collectstatic wrote no manifest")
    say("entrypoint build: " + build.stdout.strip().splitlines()[-1])
    # The code belongs to root, as in the image; the user may read it, not write it.
    for path in [work, *work.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    return image


# --- A browser for the portal behind its TLS proxy ------------------------------------------------


class Browser:
    """requests with a proxy's view of the portal: https as far as Django knows (the
    X-Forwarded-Proto header a TLS proxy sets), plain HTTP to gunicorn."""

    def __init__(self, portal_port: int):
        self.portal = f"https://127.0.0.1:{portal_port}"
        self.transport = f"http://127.0.0.1:{portal_port}"
        self.session = requests.Session()

    def request(self, method: str, url: str, *, follow: bool = True, **kwargs):
        for _ in range(20):
            headers = dict(kwargs.pop("headers", {}))
            target = url
            if url.startswith(self.portal):
                target = self.transport + url[len(self.portal):]
                headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"})
                if method == "POST":
                    headers.update({"Origin": self.portal, "Referer": url})
            if os.environ.get("PROD_SMOKE_DEBUG"):
                say(f"browser: {method} {target}")
            response = self.session.request(method, target, headers=headers, allow_redirects=False,
                                            timeout=30, **kwargs)
            # The portal's cookies are Secure (it is https behind its proxy); this client talks
            # plain HTTP to gunicorn as the proxy does, so it must send them anyway.
            for cookie in self.session.cookies:
                cookie.secure = False
            if not (follow and response.is_redirect):
                response.final_url = url
                return response
            url = urljoin(url, response.headers["Location"])
            method, kwargs = "GET", {}
        raise SmokeFailure(f"too many redirects at {url}")


def form_fields(html: str, action_contains: str) -> tuple[str, dict[str, str]]:
    """The action and the hidden/default fields of the first form whose action contains this."""
    for form in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S | re.I):
        action = re.search(r'action="([^"]*)"', form.group(1))
        if action and action_contains in action.group(1):
            fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
            return action.group(1).replace("&amp;", "&"), fields
    raise SmokeFailure(f"no form posting to {action_contains!r} in:\n{html[:2000]}")


def log_in_with_digid(browser: Browser, bsn: str) -> None:
    page = browser.request("GET", browser.portal + "/inloggen/")
    check(page.status_code == 200, f"/inloggen/ answered {page.status_code}")
    action, fields = form_fields(page.text, "/accounts/oidc/digid/login/")
    at_broker = browser.request("POST", urljoin(browser.portal + "/inloggen/", action), data=fields)
    check("/interaction/" in at_broker.final_url and at_broker.status_code == 200,
          f"the DigiD button did not lead to the broker's login page: {at_broker.status_code} {at_broker.final_url}")
    login_action, _ = form_fields(at_broker.text, "/login")
    back = browser.request("POST", urljoin(at_broker.final_url, login_action), data={"bsn": bsn, "acr": "Midden"})
    check(back.status_code == 200 and back.final_url.startswith(browser.portal + "/mijn-inburgering/"),
          f"after DigiD the newcomer is not on their page: {back.status_code} {back.final_url}")


# --- The checks -------------------------------------------------------------------------------------


def wait_for(what: str, condition, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except requests.RequestException as error:
            last = error
        time.sleep(interval)
    raise SmokeFailure(f"timed out after {timeout:.0f} s waiting for {what}" + (f" ({last})" if last else ""))


MAKE_READY = """
import json
import os
from datetime import date, timedelta
from django.utils import timezone
from integration import services
from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime
from integration.models import Municipality, Newcomer
from portal import request_id
from portal.demo.bsn import bsns_from

today = timezone.localdate()
bsn = next(b for _, b in bsns_from(30_000_000 + int.from_bytes(os.urandom(2), 'big')))
with request_id.bound("REQUEST_ID"):
    person = Newcomer.objects.create(given_names="Smoke", surname="Test", date_of_birth=date(1990, 5, 1),
                                     nationality="SY")
    person = services.record_bsn(person, bsn, today - timedelta(days=30))
    services.record_permit(person, residence_title=26, purpose=PurposeOfStay.ASYLUM,
                           decision_date=today - timedelta(days=20), valid_from=today - timedelta(days=20),
                           valid_until=None)
    utrecht = Municipality.objects.get_or_create(code="GM0344", defaults={"name": "Utrecht"})[0]
    services.record_registration(person, municipality=utrecht, street="Oudegracht", house_number="1",
                                 postcode="3511 AB", town="Utrecht", registered_on=today - timedelta(days=10))
    services.record_decision(person, regime=Regime.WI2021, outcome=Outcome.OBLIGED,
                             reason=DecisionReason.OBLIGED_BY_RULE, decided_on=today,
                             source=DecisionSource.REGISTRY_FEED)
print("SMOKE-RESULT " + json.dumps({"bsn": bsn, "letters": person.letters.count()}))
"""


# Celery writes this one line straight to stderr when a worker stops, past every logger.
CELERY_CONSOLE_LINES = re.compile(r"^worker: (Warm|Cold) shutdown \(MainProcess\)$")


def json_lines(service: Service) -> list[dict]:
    records = []
    for number, line in enumerate(service.lines(), 1):
        if not line.strip() or CELERY_CONSOLE_LINES.match(line):
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise SmokeFailure(f"{service.role}.log line {number} is not JSON: {line[:300]}") from None
    return records


def metric_value(text: str, name: str, labels: str = "") -> float | None:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def smoke(work: Path) -> dict:
    user = the_user()
    say(f"work folder {work}; the image's processes run as {user.name}")
    image = build_image(work, user)
    (work / "logs").mkdir()
    private = work / "data" / "private"
    user.own(private, work / "backup", work / "restored-private")

    database = recreate_database(SMOKE_DATABASE)
    broker_url, cache_url = redis_url(14), redis_url(15)
    flush_redis(broker_url, cache_url)

    web_port = free_port()
    broker = OidcBroker([f"https://127.0.0.1:{web_port}{CALLBACK}"], [f"https://127.0.0.1:{web_port}/uitgelogd/"])
    metrics_token = secrets.token_urlsafe(32)
    request_id = f"prod-smoke-{secrets.token_hex(8)}"
    summary: dict = {}
    try:
        broker.start()
        say(f"DigiD test provider at {broker.issuer}")
        image.environment.update({
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"https://127.0.0.1:{web_port}",
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": cache_url,
            "PRIVATE_STORAGE_ROOT": str(private),
            "METRICS_TOKEN": metrics_token,
            "EMAIL_URL": "consolemail://",
            "PORT": str(web_port),
            "WEB_BIND": f"127.0.0.1:{web_port}",
            "LOG_LEVEL": "INFO",
            **broker.environment(),
        })

        migrate_dir = work / "run" / "migrate"
        user.own(migrate_dir)
        # The deploy gate sees the broker as production must configure it: over https.
        as_deployed = {"DIGID_OIDC_SERVER_URL": "https://" + broker.issuer.removeprefix("http://")}
        refused = image.run("migrate", run_dir=migrate_dir, check_ok=False, timeout=120)
        check(refused.returncode != 0 and "portal.E006" in refused.stdout + refused.stderr,
              "the deploy gate let a DigiD broker over plain http through")
        migrated = image.run("migrate", run_dir=migrate_dir, timeout=300, **as_deployed)
        check("Applying letters." in migrated.stdout, "migrate applied no migrations")
        image.run("check", run_dir=migrate_dir, **as_deployed)
        say("entrypoint migrate: refused with the provider's http:// URL (portal.E006); with the https URL "
            "check --deploy passed and the migrations ran; entrypoint check (warnings fail too): passed")

        web = image.start("web")
        worker = image.start("worker")
        beat = image.start("beat")
        internal = f"http://127.0.0.1:{web_port}"
        wait_for("/health/live", lambda: requests.get(internal + "/health/live", headers={"Host": "web:8000"},
                                                       timeout=2).status_code == 200, 60)
        ready = wait_for("/health/ready", lambda: (r := requests.get(
            internal + "/health/ready", headers={"Host": "web:8000"}, timeout=5)).status_code == 200 and r, 60)
        check(ready.json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "ok", "cache": "ok",
                                         "letter_storage": "ok"}, f"ready: {ready.text}")
        check("no-store" in ready.headers["Cache-Control"], "health answers may be cached")
        say(f"web (gunicorn) up: /health/live and /health/ready 200 on host web:8000 over http: {ready.text}")

        for role, service in (("web", web), ("worker", worker), ("beat", beat)):
            result = wait_for(f"the {role} health role", lambda s=service, r=role: (
                res := image.run("health", r, run_dir=s.run_dir, check_ok=False, timeout=30)).returncode == 0 and res,
                60, interval=1)
            say(f"entrypoint health {role}: {result.stdout.strip()[:100]}")

        page = requests.get(internal + "/", timeout=5, allow_redirects=False)
        check(page.status_code == 301 and page.headers["Location"].startswith("https://"),
              f"a page over plain http is not redirected to https: {page.status_code}")

        manifest = json.loads((image.app / "staticfiles" / "staticfiles.json").read_text())["paths"]
        css = next(name for name in manifest if name.endswith(".css"))
        static = requests.get(f"{internal}/static/{manifest[css]}", timeout=5,
                              headers={"Accept-Encoding": "gzip, br", "X-Forwarded-Proto": "https"})
        check(static.status_code == 200, f"static {manifest[css]}: {static.status_code}")
        check("max-age=315360000" in static.headers.get("Cache-Control", "")
              and "immutable" in static.headers.get("Cache-Control", ""),
              f"static files lack far-future cache headers: {static.headers.get('Cache-Control')}")
        check(static.headers.get("Content-Encoding") in {"gzip", "br"}, "static files are not served compressed")
        say(f"static {manifest[css]}: {static.headers['Cache-Control']}, {static.headers['Content-Encoding']}")

        check(requests.get(internal + "/metrics", timeout=5).status_code == 401, "metrics answer without a token")
        check(requests.get(internal + "/metrics", headers={"Authorization": "Bearer wrong"}, timeout=5)
              .status_code == 401, "metrics answer with a wrong token")

        made = image.run("manage", "shell", "--command", MAKE_READY.replace("REQUEST_ID", request_id),
                         run_dir=migrate_dir, timeout=120)
        result = json.loads(made.stdout.split("SMOKE-RESULT ", 1)[1].splitlines()[0])
        bsn = result["bsn"]
        check(result["letters"] == 1, f"the newcomer has {result['letters']} letters queued, not 1")
        say("a newcomer made ready (manage shell): the start-date letter is queued")

        browser = Browser(web_port)
        log_in_with_digid(browser, bsn)
        say("logged in with DigiD through the test provider as the newcomer")

        def issued_link():
            letters = browser.request("GET", browser.portal + "/mijn-inburgering/brieven/")
            check(letters.status_code == 200, f"letters page: {letters.status_code}")
            found = re.search(r'href="(/mijn-inburgering/brieven/[0-9a-f-]{36}/)"', letters.text)
            return found.group(1) if found else None

        link = wait_for("the worker to issue the letter", issued_link, LETTER_TIMEOUT, interval=1)
        pdf = browser.request("GET", browser.portal + link)
        check(pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
              and pdf.content.startswith(b"%PDF-"), f"download: {pdf.status_code} {pdf.headers.get('Content-Type')}")
        check(bsn.encode() not in pdf.headers.get("Content-Disposition", "").encode(), "a BSN in the file name")
        say(f"the worker issued the letter; downloaded {len(pdf.content)} bytes of PDF "
            f"({pdf.headers['Content-Disposition']})")

        # The sweep, as beat sends it every minute: the worker counts it where every replica sees it.
        image.run("manage", "shell", "--command",
                  "from letters.tasks import sweep_due_letters; sweep_due_letters.delay()", run_dir=migrate_dir)

        def scrape_after_the_sweep():
            answer = requests.get(internal + "/metrics", headers={"Authorization": f"Bearer {metrics_token}"},
                                  timeout=10)
            check(answer.status_code == 200, f"metrics with the token: {answer.status_code}")
            return answer if metric_value(answer.text, "portal_letter_sweep_runs_total") == 1.0 else None

        scrape = wait_for("the sweep to show in the metrics", scrape_after_the_sweep, 30)
        check(metric_value(scrape.text, "portal_letters", '{status="issued"}') == 1.0,
              "metrics do not show the issued letter")
        for name in ("portal_http_request_duration_seconds_bucket", "portal_letters_oldest_queued_age_seconds",
                     "portal_letter_sweep_runs_total", "portal_celery_task_failures_total",
                     'portal_metrics_source_up{source="database"} 1.0', 'portal_metrics_source_up{source="redis"} 1.0'):
            check(name in scrape.text, f"metrics lack {name}")
        summary["metrics"] = [line for line in scrape.text.splitlines() if line.startswith((
            'portal_http_request_duration_seconds_count{method="GET",view="newcomer:letter_download"}',
            'portal_http_requests_total{method="GET",status="200",view="newcomer:letter_download"}',
            "portal_letters", "portal_letter_sweep", "portal_celery_task_failures", "portal_metrics_source_up"))]
        say("metrics: 401 without the token; with it latency, letters by status, the oldest queued letter, "
            "the sweep the worker ran, task failures")

        traced = requests.get(internal + "/health/live", headers={"X-Request-ID": request_id + "-web"}, timeout=5)
        check(traced.headers.get("X-Request-ID") == request_id + "-web", "the proxy's request id is not kept")
        requests.get(f"{internal}/", headers={"X-Request-ID": request_id + "-page"}, timeout=5, allow_redirects=False)

        wait_for("the web log line of the traced request", lambda: any(
            record.get("request_id") == request_id + "-page" for record in json_lines(web)), 10)
        worker_records = json_lines(worker)
        task_lines = [r for r in worker_records if r.get("request_id") == request_id and r.get("task_name")]
        check(any(r["task_name"] == "letters.tasks.issue_letter" for r in task_lines),
              "the worker's issue_letter lines do not carry the request id of the command that queued it")
        summary["log_line"] = next(r for r in task_lines if r["task_name"] == "letters.tasks.issue_letter")
        json_lines(beat)
        check(any("leading" in r.get("message", "") for r in json_lines(beat)), "beat never took the lead")
        say(f"logs: JSON lines; the request id {request_id} reached the worker's task lines")

        backup = work / "backup"
        image.run("backup", str(backup), run_dir=migrate_dir, timeout=120)
        restored = recreate_database(RESTORED_DATABASE)
        image.run("restore", str(backup), run_dir=migrate_dir, timeout=120, DATABASE_URL=restored,
                  PRIVATE_STORAGE_ROOT=str(work / "restored-private"))
        verified = image.run("verify-letters", run_dir=migrate_dir, timeout=120, DATABASE_URL=restored,
                             PRIVATE_STORAGE_ROOT=str(work / "restored-private"))
        check("1 issued letters checked, 0 missing or changed" in verified.stdout, verified.stdout)
        refused = image.run("restore", str(backup), run_dir=migrate_dir, check_ok=False, timeout=60,
                            DATABASE_URL=restored, PRIVATE_STORAGE_ROOT=str(work / "restored-private"))
        check(refused.returncode != 0 and "not empty" in refused.stderr, "restore over a filled database")
        say("backup → restore into an empty database and storage → every letter file verified")

        killed = image.stop_all()
        check(not killed, f"had to be killed: {killed}")
        for service in image.services:
            check(service.process.returncode in (0, -signal.SIGTERM),
                  f"{service.role} exited {service.process.returncode} on SIGTERM")
        check(not (worker.run_dir / "worker.heartbeat").exists(), "the worker left its heartbeat behind")
        for service in image.services:
            check(bsn not in service.log.read_text(), f"the BSN is in {service.role}.log")
        for service in image.services:
            json_lines(service)
        say("stopped: web, worker and beat ended on SIGTERM; every log line is JSON; no BSN in any log")
        return summary
    finally:
        killed = image.stop_all()
        if killed:
            say(f"killed after the timeout: {killed}")
        if (work / "logs").exists():
            (work / "logs" / "digid-broker.log").write_text(broker.output + "\n")
        broker.stop()
        logs = ROOT / "var" / "prod-smoke"
        shutil.rmtree(logs, ignore_errors=True)
        if (work / "logs").exists():
            shutil.copytree(work / "logs", logs)
        recreate_database(SMOKE_DATABASE, drop_only=True)
        recreate_database(RESTORED_DATABASE, drop_only=True)
        flush_redis(broker_url, cache_url)
        if user.uid is not None:
            leftovers = subprocess.run(["pgrep", "-u", str(user.uid)], capture_output=True, text=True).stdout.split()
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            check(not leftovers, f"processes of {user.name} were still running: {leftovers}")


def main() -> int:
    reason = broker_available()
    if reason:
        print(f"prod-smoke cannot run: {reason}", file=sys.stderr)
        return 2
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            print(f"prod-smoke cannot run: {tool} is not installed (postgresql-client)", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="mijn-inburgering-prod-smoke-"))
    work.chmod(0o755)
    try:
        summary = smoke(work)
    except Exception as failure:
        if not isinstance(failure, SmokeFailure):
            traceback.print_exc()
        print(f"\nprod-smoke FAILED: {failure}", file=sys.stderr)
        logs = ROOT / "var" / "prod-smoke"
        for log in sorted(logs.glob("*.log")):
            print(f"\n--- {log.name} (last lines) ---", file=sys.stderr)
            print("\n".join(log.read_text(errors="replace").splitlines()[-25:]), file=sys.stderr)
        return 1
    finally:
        if os.environ.get("PROD_SMOKE_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    print("\nA log line as an operator sees it (worker, issuing the letter):")
    print(json.dumps(summary["log_line"]))
    print("\nA metrics sample:")
    print("\n".join(summary["metrics"]))
    print(f"\nprod-smoke passed in {time.monotonic() - STARTED:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
