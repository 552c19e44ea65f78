"""Server time of the DUO overdue list on a loaded PostgreSQL database, and the memory of its CSV.

Needs a database filled by `manage.py generate_load_data` (1,000,000 newcomers, ~20,000 of them
overdue). Everything this script writes (a staff user with TOTP, its session, the audit records
the views write) happens inside one transaction that is rolled back at the end, so the loaded
data is left exactly as it was.

It measures, through the Django test client (middleware, view, template; no network):
- the first page and the 400th page (50 rows a page) of the list, medians of --repeat runs,
  and the number of queries of each;
- the CSV export of the whole list, in a child process of its own so its peak RSS is the
  export's, not this process's.
The figure printed last is the slower of the two page medians in ms (target < 150 ms).

    DJANGO_ENV=test .venv/bin/python benchmarks/overdue_list.py --database inburgering_load_1m
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # no request log line per timed page


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="inburgering_load_1m")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--page", type=int, default=400)
    parser.add_argument("--csv-only", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


ARGS = _parse()
os.environ["DATABASE_URL"] = f"postgres://postgres@{ARGS.host}:5432/{ARGS.database}"

import django  # noqa: E402

django.setup()

from allauth.account.internal.flows.login import record_authentication  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from portal.accounts.models import Role, User  # noqa: E402
from portal.duo import selectors  # noqa: E402

EMAIL = "benchmark-duo@duo.example"


def staff_client() -> Client:
    user = User.objects.create_user(email=EMAIL, password=None, role=Role.DUO_STAFF)
    TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user, backend="portal.accounts.backends.StaffPasswordBackend")
    request = RequestFactory().get("/")
    request.session = client.session
    authenticator = Authenticator.objects.get(user=user)
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    return client


def cursor_before_page(page: int) -> str | None:
    """The cursor that opens page `page`: the last row of the page before (found once, untimed)."""
    if page <= 1:
        return None
    queryset = selectors.overdue_queryset(today=timezone.localdate()).order_by("conditions_met_on", "id")
    row = queryset[(page - 1) * selectors.PAGE_SIZE - 1: (page - 1) * selectors.PAGE_SIZE].first()
    return str(selectors.Cursor.of(row)) if row else None


def time_page(client, params) -> tuple[float, int, int]:
    """Median ms, queries and rows of GET /duo/ with `params`."""
    url = reverse("duo:overdue_list")
    client.get(url, params)  # warm caches, as on a server that has been up a while
    timings = []
    for _ in range(ARGS.repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    return statistics.median(timings), len(queries), len(response.context["page"].rows)


def csv_export() -> None:
    """Child process: stream the whole CSV, print rows, bytes, seconds and RSS before/peak (MiB)."""
    with transaction.atomic():
        client = staff_client()
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        response = client.get(reverse("duo:overdue_csv"))
        lines = size = 0
        for chunk in response.streaming_content:
            lines += 1
            size += len(chunk)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        transaction.set_rollback(True)
    print(f"{lines - 1} {size} {seconds:.2f} {baseline:.1f} {peak:.1f}")


def main():
    setup_test_environment()  # the test client records templates and context
    if ARGS.csv_only:
        csv_export()
        return
    with transaction.atomic():
        total = selectors.overdue_queryset(today=timezone.localdate()).count()
        print(f"database {ARGS.database}: {total} people on the overdue list")
        client = staff_client()
        first_ms, first_queries, first_rows = time_page(client, {})
        print(f"page 1: median {first_ms:.1f} ms, {first_queries} queries, {first_rows} rows")
        cursor = cursor_before_page(ARGS.page)
        if cursor is None:
            deep_ms = first_ms
            print(f"page {ARGS.page}: the list has fewer pages")
        else:
            deep_ms, deep_queries, deep_rows = time_page(client, {"after": cursor})
            print(f"page {ARGS.page}: median {deep_ms:.1f} ms, {deep_queries} queries, {deep_rows} rows")
        transaction.set_rollback(True)

    child = subprocess.run([sys.executable, __file__, "--database", ARGS.database, "--host", ARGS.host,
                            "--csv-only"], capture_output=True, text=True, check=True)
    rows, size, seconds, baseline, peak = child.stdout.split()[-5:]
    print(f"CSV export: {rows} rows, {int(size) / 2**20:.1f} MiB in {seconds} s; "
          f"RSS {baseline} MiB before, peak {peak} MiB")
    print(f"slowest page median: {max(first_ms, deep_ms):.1f} ms")


if __name__ == "__main__":
    main()
