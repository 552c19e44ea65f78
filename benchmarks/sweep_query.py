"""How fast the letter sweep finds its work on a loaded database, and how much memory it needs.

Runs EXPLAIN (ANALYZE, BUFFERS) of the two queries the sweep pages through, exactly as
`letters.sweep` builds them: ready people without a start-date letter
(`ready_without_letter`) and unfinished letters due another try (`unfinished_letters_due`).
Prints each plan once and the median execution time of several runs; the target is well under
100 ms per batch, through the partial indexes newcomer_ready_unrequested_idx and
letter_unfinished_idx. With --rss it also runs one real sweep (enqueueing to a Redis database of
its own, emptied afterwards) and reports its peak resident memory.

    .venv/bin/python benchmarks/sweep_query.py \
        --database-url postgres://postgres@127.0.0.1:5432/inburgering_load_1m [--rss]

The figure printed last is the slower of the two medians, in milliseconds.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/inburgering_load_1m")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rss", action="store_true", help="also run one sweep and report its peak memory")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/11",
                        help="Redis database the --rss sweep enqueues to; it is emptied afterwards")
    parser.add_argument("--sweep-child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def _setup_django(database_url: str, broker_url: str = "") -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE="portal.settings", DJANGO_ENV="demo", DATABASE_URL=database_url,
                      CELERY_BROKER_URL=broker_url, LOG_LEVEL="ERROR")
    import django

    django.setup()


def explain(queryset, runs: int) -> tuple[str, float]:
    """The plan of the first run and the median execution time (ms) over `runs` runs."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    plans, times = [], []
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append(plan)
            times.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
    return plans[0], statistics.median(times)


def sweep_child() -> None:
    """Runs in a child process so its peak RSS is the sweep's alone."""
    import resource

    from letters import sweep

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = sweep.sweep()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"counts": counts, "rss_before_kib": before, "rss_peak_kib": after}))


def measure_sweep_memory(args) -> dict:
    import redis

    client = redis.Redis.from_url(args.broker_url)
    client.flushdb()
    try:
        child = subprocess.run(
            [sys.executable, __file__, "--sweep-child", "--database-url", args.database_url,
             "--broker-url", args.broker_url],
            check=True, capture_output=True, text=True,
        )
    finally:
        client.flushdb()  # the enqueued messages were only there to be measured
    return json.loads(child.stdout.strip().splitlines()[-1])


def main():
    args = _parse()
    if args.sweep_child:
        _setup_django(args.database_url, args.broker_url)
        sweep_child()
        return
    _setup_django(args.database_url)
    from django.conf import settings

    from integration.models import Newcomer
    from letters import sweep
    from letters.models import Letter

    batch = settings.LETTER_SWEEP_BATCH_SIZE
    print(f"{Newcomer.objects.count():,} newcomers, {Letter.objects.count():,} letters; batch size {batch}\n")
    medians = {}
    queries = {
        "ready_without_letter": (sweep.ready_without_letter(batch), "newcomer_ready_unrequested_idx"),
        "unfinished_letters_due": (sweep.unfinished_letters_due(batch), "letter_unfinished_idx"),
        "unfinished_letters_due (no grace, as issue_due_letters)":
            (sweep.unfinished_letters_due(batch, queued_grace_seconds=0), "letter_unfinished_idx"),
    }
    for name, (queryset, index) in queries.items():
        plan, median = explain(queryset, args.runs)
        medians[name] = median
        print(f"=== {name}: median {median:.1f} ms over {args.runs} runs; uses {index}: {index in plan}")
        print(plan, "\n")

    if args.rss:
        result = measure_sweep_memory(args)
        print(f"sweep (enqueue only): {result['counts']}; peak RSS {result['rss_peak_kib'] / 1024:.0f} MiB "
              f"(after start-up {result['rss_before_kib'] / 1024:.0f} MiB)\n")

    for name, median in medians.items():
        print(f"{name}: {median:.1f} ms")
    print("slowest sweep query, median execution time (ms)")
    print(f"{max(medians.values()):.1f}")


if __name__ == "__main__":
    main()
