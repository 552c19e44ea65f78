"""Throughput of the logged-in newcomer overview under load, against a bare Django view.

Needs PostgreSQL filled by `manage.py generate_load_data` (1,000,000 newcomers), Redis, gunicorn
and wrk. Everything, in-process and in gunicorn, runs with production settings (DJANGO_ENV=production,
DEBUG off, a random SECRET_KEY, persistent database connections, the Redis cache and the cached_db
sessions, collected static files) except SECURE_SSL_REDIRECT, as there is no TLS in front. The
baselines go through the same settings and the same middleware as the overview, without a login:
what the issue calls "a bare Django view rendering a template of similar size". The script:

1. picks --sessions newcomers spread over the whole table, gives each a DigiD account (only
   where they have none yet) and a logged-in session, so the load is many people, not one
   session row updated by every request;
2. renders one overview in-process and saves it, verbatim, as a template; two bare baseline
   views exist only in `benchmarks/overview_urls.py` (served through
   `benchmarks/overview_settings.py`): one renders that verbatim copy (the floor: a page of
   the same size with no template logic), one renders the overview's own template from values
   in memory (the same template work, no session, no query);
3. serves the portal with gunicorn (--workers workers of --worker-class) and runs wrk with
   --connections connections against both baselines and the overview, in turn, --rounds times each;
4. removes the sessions (database and cache) and the accounts it created, and stops gunicorn.

It reports requests per second and p50/p99 latency of each, the ratio to the verbatim floor,
and prints last the ratio of the overview's throughput to the bare view rendering the overview
template (target: at least 35%).

    .venv/bin/python benchmarks/newcomer_overview_load.py --database inburgering_load_1m \
        --cache-url redis://127.0.0.1:6379/3

--proposed-settings measures the settings change that goes with `portal/sessions.py` (the session
renewed at most once a minute, the Redis cache without a client per call) before
`portal/settings.py` has it.
"""

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="inburgering_load_1m")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--sessions", type=int, default=64, help="distinct logged-in newcomers")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread",
                        help="gthread, as docker-compose.yml serves the portal")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--proposed-settings", action="store_true",
                        help="apply the settings change that goes with portal/sessions.py (see "
                             "benchmarks/overview_settings.py); nothing once portal/settings.py has it")
    parser.add_argument("--static-root", type=Path,
                        help="reuse static files collected here (collected into a scratch folder otherwise)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10, help="seconds of unmeasured load per page first")
    parser.add_argument("--port", type=int, default=8765)
    return parser.parse_args()


ARGS = _parse()
DATABASE_URL = f"postgres://postgres@{ARGS.host}:5432/{ARGS.database}"
SCRATCH = Path(tempfile.mkdtemp(prefix="overview-bench-"))
# Production settings for this process and, inherited, for gunicorn: the sessions made here must
# be readable there (same SECRET_KEY, same cache).
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "benchmarks.overview_settings",
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": DATABASE_URL,
    "DB_CONN_MAX_AGE": "600",
    "CACHE_URL": ARGS.cache_url,
    "OVERVIEW_BENCH_TEMPLATES": str(SCRATCH),
    "OVERVIEW_BENCH_STATIC_ROOT": str(ARGS.static_root or SCRATCH / "static"),
    "OVERVIEW_BENCH_PROPOSED_SETTINGS": "1" if ARGS.proposed_settings else "0",
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": str(ROOT),
})

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client  # noqa: E402

from integration.models import Newcomer  # noqa: E402
from portal.digid.linking import DIGID_LOGIN_BACKEND, account_for  # noqa: E402

OVERVIEW = "/mijn-inburgering/"
BARE = "/benchmark/bare/"
TEMPLATE_ONLY = "/benchmark/template/"
COOKIE = settings.SESSION_COOKIE_NAME
# The configured engine (cached_db): sessions land in the database and in the cache, as a login does.
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def spread_newcomers(count: int) -> list[Newcomer]:
    """Newcomers with a BSN at evenly spaced ids, so every kind of case in the data is hit."""
    top = Newcomer.objects.aggregate(top=Max("pk"))["top"]
    step = max(1, top // (count * 2))
    candidates = list(range(step, top + 1, step))
    found = Newcomer.objects.filter(pk__in=candidates, bsn__isnull=False).order_by("pk")
    return list(found[:count])


def log_in(newcomers) -> tuple[list[str], list[int]]:
    """A session per newcomer, as the DigiD login leaves it; returns session keys, created users."""
    User = get_user_model()
    keys, created_users = [], []
    for newcomer in newcomers:
        had_account = User.objects.filter(newcomer=newcomer).exists()
        user = account_for(newcomer)
        if not had_account:
            created_users.append(user.pk)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = DIGID_LOGIN_BACKEND
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys, created_users


def baseline_template(session_key: str, directory: Path) -> int:
    """Save a rendered overview as the baseline template; returns its size in bytes."""
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.cookies[COOKIE] = session_key
    response = client.get(OVERVIEW)
    if response.status_code != 200:
        raise SystemExit(f"the overview answered {response.status_code}, not 200: is the session valid?")
    html = response.content.decode()
    (directory / "overview_baseline.html").write_text("{% verbatim %}" + html + "{% endverbatim %}")
    return len(response.content)


def collect_static() -> None:
    """Production serves hashed static names from a manifest; without it no page renders."""
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def start_gunicorn() -> subprocess.Popen:
    # Persistent database connections (DB_CONN_MAX_AGE above), as a deployment has them: without,
    # every request pays for a new PostgreSQL backend, which is a benchmark of connection set-up.
    workers = ["--workers", str(ARGS.workers), "--worker-class", ARGS.worker_class]
    if ARGS.worker_class == "gthread":
        workers += ["--threads", str(ARGS.threads)]
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "portal.wsgi:application", *workers,
         "--bind", f"127.0.0.1:{ARGS.port}", "--log-level", "warning"],
        cwd=ROOT, env=os.environ,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{ARGS.port}/health/", timeout=2):  # noqa: S310
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not come up within 30 s")


def check_served(session_key: str) -> None:
    """The overview answers 200 for a session (not a redirect to the login), the baseline too."""
    for path, cookie in ((OVERVIEW, f"{COOKIE}={session_key}"), (BARE, ""), (TEMPLATE_ONLY, "")):
        request = urllib.request.Request(f"http://127.0.0.1:{ARGS.port}{path}", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if response.status != 200 or not response.url.endswith(path):
                raise SystemExit(f"{path} was not served as a page: {response.status} {response.url}")


def cookie_script(keys: list[str], directory: Path) -> Path:
    """A wrk script that sends each request with the next session, round robin."""
    listed = ", ".join(f'"{key}"' for key in keys)
    script = directory / "sessions.lua"
    script.write_text(
        f"local keys = {{{listed}}}\n"
        "local n = math.random(#keys)\n"
        "request = function()\n"
        "  n = n % #keys + 1\n"
        f'  return wrk.format("GET", nil, {{["Cookie"] = "{COOKIE}=" .. keys[n], ["Accept-Language"] = "nl"}})\n'
        "end\n"
    )
    return script


UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * UNIT[unit]


def run_wrk(path: str, duration: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{ARGS.connections}", f"-d{duration}s", "--latency", "-H", "Accept-Language: nl"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, f"http://127.0.0.1:{ARGS.port}{path}"], capture_output=True, text=True,
                            check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{path}: {errors.group(1)} responses were not 2xx/3xx\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),
    }


# name: (path, send a logged-in session)
PAGES = {
    "verbatim copy (floor)": (BARE, False),
    "overview template, no data": (TEMPLATE_ONLY, False),
    "overview (logged in)": (OVERVIEW, True),
}


def clean_up(keys: list[str], created_users: list[int]) -> None:
    for key in keys:
        SessionStore(session_key=key).delete()  # the database row and the cache entry
    get_user_model().objects.filter(pk__in=created_users, newcomer__isnull=False).delete()


def main():
    newcomers = spread_newcomers(ARGS.sessions)
    keys, created_users = log_in(newcomers)
    server = None
    try:
        collect_static()
        size = baseline_template(keys[0], SCRATCH)
        script = cookie_script(keys, SCRATCH)
        server = start_gunicorn()
        check_served(keys[0])
        # Warm up: imports, template caches, connections, and PostgreSQL's buffers for the
        # sessions' people (measured: a 3 s warm-up left the first overview round at half speed).
        for path, cookies in PAGES.values():
            run_wrk(path, ARGS.warmup, script if cookies else None)
        results = {name: [] for name in PAGES}
        for _ in range(ARGS.rounds):
            for name, (path, cookies) in PAGES.items():
                results[name].append(run_wrk(path, ARGS.duration, script if cookies else None))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        clean_up(keys, created_users)
        shutil.rmtree(SCRATCH, ignore_errors=True)

    threads = f" x {ARGS.threads} threads" if ARGS.worker_class == "gthread" else ""
    session_middleware = next(entry for entry in settings.MIDDLEWARE if "Session" in entry)
    print(f"{len(keys)} logged-in newcomers of {Newcomer.objects.count():,}; page size {size:,} bytes; "
          f"gunicorn {ARGS.workers} {ARGS.worker_class} workers{threads}; wrk {ARGS.connections} connections, "
          f"{ARGS.rounds} x {ARGS.duration} s each, alternating")
    print(f"DJANGO_ENV={settings.DJANGO_ENV}, DEBUG={settings.DEBUG}, cache {settings.CACHES['default']['BACKEND']} "
          f"{ARGS.cache_url}, {settings.SESSION_ENGINE}, {session_middleware}, "
          f"SESSION_SAVE_EVERY_REQUEST={settings.SESSION_SAVE_EVERY_REQUEST}")
    for name, runs in results.items():
        for number, run in enumerate(runs, start=1):
            print(f"{name:>28} run {number}: {run['rps']:8.1f} req/s   p50 {run['p50']:7.2f} ms   "
                  f"p99 {run['p99']:7.2f} ms")
    median = {name: statistics.median(run["rps"] for run in runs) for name, runs in results.items()}
    overview = median["overview (logged in)"]
    print(f"overview / verbatim copy of the page: {overview / median['verbatim copy (floor)']:.1%}")
    print(f"overview throughput / bare view rendering the overview template: "
          f"{overview / median['overview template, no data']:.1%} (target >= 35%)")


if __name__ == "__main__":
    main()
