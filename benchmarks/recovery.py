"""Recovery after a broker outage: how long after Redis comes back the last letter is issued.

On a fresh PostgreSQL database (created and migrated here, dropped afterwards unless --keep),
with a Redis of its own (a `redis-server` on a free port, append-only as in production), W
`celery worker` processes (prefork, concurrency 1) and a real `celery beat` (the one-minute
sweep), all with the production defaults for the sweep, the queued grace and the catch-up on
reconnect:

1. normal operation: people become ready one at a time (the last condition recorded through
   the services, every --pace seconds); per letter, the time from recording the last condition
   (the letter's `queued_at`, in that transaction) until it is downloadable (`issued_at`, in the
   transaction that stored the PDF): p50 and p99;
2. the baseline, in the same run: N people become ready at once with the broker up; seconds
   from the last recording until the last letter is issued (the workers' drain time);
3. the outage: Redis is killed, the same N become ready while it is down (each letter is stored
   as queued, its message cannot be published), Redis comes back after --outage seconds (or
   when the last of them is recorded, if that takes longer);
   seconds from Redis answering again until the last letter is issued. Target: < 60 s.

    .venv/bin/python benchmarks/recovery.py [--people 200] [--workers 2] [--outage 30]

The figure printed last is the recovery time in seconds.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

READY_ON = date(2024, 3, 5)
DECIDED = date(2024, 2, 12)


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds Redis is down")
    parser.add_argument("--latency-people", type=int, default=40)
    parser.add_argument("--pace", type=float, default=0.75, help="seconds between people in normal operation")
    parser.add_argument("--database", default="inburgering_bench_recovery")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--keep", action="store_true", help="leave the database in place")
    return parser.parse_args()


def fresh_database(args, env) -> None:
    pg = ["-h", args.host, "-U", args.user]
    subprocess.run(["dropdb", *pg, "--if-exists", args.database], check=True)
    subprocess.run(["createdb", *pg, args.database], check=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"], check=True, env=env)


def people_one_condition_short(count: int, first_bsn: int) -> list:
    """People with every fact but the municipal registration, inserted in bulk; recording the
    registration (through the services) makes each ready and queues the letter."""
    from integration import rules
    from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime
    from integration.models import Newcomer, ObligationDecision, ResidencePermit
    from tests.factories import valid_bsns

    bsns = valid_bsns(first_bsn)
    people = Newcomer.objects.bulk_create(
        Newcomer(given_names="Sam", surname=f"Persoon{first_bsn}-{i:04d}", date_of_birth=date(1990, 6, 15),
                 nationality="SY", email=f"p{first_bsn}-{i}@example.org", bsn=next(bsns),
                 bsn_assigned_on=date(2024, 3, 1)) for i in range(count))
    article = rules.vw_article_for_residence_title(21)
    ResidencePermit.objects.bulk_create(
        ResidencePermit(newcomer=p, residence_title=21, article=article, purpose=PurposeOfStay.FAMILY,
                        decision_date=DECIDED, valid_from=DECIDED) for p in people)
    ObligationDecision.objects.bulk_create(
        ObligationDecision(newcomer=p, regime=Regime.WI2021, outcome=Outcome.OBLIGED,
                           reason=DecisionReason.OBLIGED_BY_RULE, decided_on=DECIDED,
                           source=DecisionSource.REGISTRY_FEED) for p in people)
    return people


def make_ready(person) -> None:
    from integration import services
    from tests.factories import utrecht

    services.record_registration(person, municipality=utrecht(), street="Oudegracht", house_number="12",
                                 postcode="3511 AB", town="Utrecht", registered_on=READY_ON)


def issued(people) -> int:
    from letters.models import Letter, LetterStatus

    return Letter.objects.filter(newcomer__in=people, status=LetterStatus.ISSUED).count()


def wait_all_issued(people, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while issued(people) < len(people):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {issued(people)} of {len(people)} letters issued after {timeout:.0f} s")
        time.sleep(0.2)


def last_issued_at(people):
    from django.db.models import Max

    from letters.models import Letter

    return Letter.objects.filter(newcomer__in=people).aggregate(last=Max("issued_at"))["last"]


def first_issued_at(people):
    from django.db.models import Min

    from letters.models import Letter

    return Letter.objects.filter(newcomer__in=people).aggregate(first=Min("issued_at"))["first"]


def start(command: list[str], env: dict, log: Path, ready_text: str | None) -> subprocess.Popen:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    deadline = time.monotonic() + 120
    while ready_text and ready_text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"{command[3:6]} did not start; see {log}")
        time.sleep(0.2)
    return process


def stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    args = _parse()
    work = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
    from tests.letters.workers import RedisServer, redis_reachable

    redis_server = RedisServer(work / "redis").start()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_ENV": "test",
           "DATABASE_URL": f"postgres://{args.user}@{args.host}:5432/{args.database}",
           "CELERY_BROKER_URL": redis_server.url, "PRIVATE_STORAGE_ROOT": str(work / "private"),
           "LOG_LEVEL": "INFO"}
    processes = []
    try:
        fresh_database(args, env)
        os.environ.update(env)
        import django

        django.setup()
        import logging

        # One warning per letter published while Redis is down is expected here.
        logging.getLogger("letters.publish").setLevel(logging.ERROR)
        from django.conf import settings
        from django.utils import timezone

        for number in range(args.workers):
            processes.append(start(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=prefork", "--concurrency=1",
                 "-n", f"recovery{number}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
                env, work / f"worker{number}.log", " ready."))
        processes.append(start([sys.executable, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO",
                                f"--schedule={work / 'beat-schedule'}"], env, work / "beat.log", None))
        print(f"{args.workers} workers and beat on Redis port {redis_server.port}; sweep every "
              f"{settings.CELERY_BEAT_SCHEDULE['issue-due-letters']['schedule']}, queued grace "
              f"{settings.LETTER_QUEUED_GRACE_SECONDS} s")

        # 1. Normal operation, one person at a time.
        from letters.models import Letter

        paced = people_one_condition_short(args.latency_people, 50_000_000)
        for person in paced:
            make_ready(person)
            time.sleep(args.pace)
        wait_all_issued(paced, 120)
        latencies = [(letter.issued_at - letter.queued_at).total_seconds()
                     for letter in Letter.objects.filter(newcomer__in=paced)]
        p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
        print(f"normal operation, {len(paced)} people one every {args.pace} s: last condition → downloadable "
              f"p50 {p50:.2f} s, p99 {p99:.2f} s")

        # 2. The baseline: N at once, broker up.
        burst = people_one_condition_short(args.people, 60_000_000)
        started = time.monotonic()
        for person in burst:
            make_ready(person)
        recorded_at = timezone.now()
        print(f"baseline: {len(burst)} people made ready in {time.monotonic() - started:.1f} s with Redis up")
        wait_all_issued(burst, 600)
        baseline = (last_issued_at(burst) - recorded_at).total_seconds()
        print(f"  last letter issued {baseline:.1f} s after the last one was recorded")

        # 3. The outage: the same N while Redis is down.
        during = people_one_condition_short(args.people, 70_000_000)
        redis_server.kill()
        went_down = time.monotonic()
        for person in during:
            make_ready(person)
        print(f"outage: {len(during)} people made ready in {time.monotonic() - went_down:.1f} s with Redis down")
        time.sleep(max(0.0, args.outage - (time.monotonic() - went_down)))
        redis_server.start()
        while not redis_reachable(redis_server.url):
            time.sleep(0.05)
        back_at = timezone.now()
        print(f"  Redis back after {time.monotonic() - went_down:.1f} s")
        wait_all_issued(during, 900)
        recovery = (last_issued_at(during) - back_at).total_seconds()
        first = (first_issued_at(during) - back_at).total_seconds()
        print(f"  first letter issued {first:.1f} s after Redis came back (the workers reconnected and caught up), "
              f"the last {recovery:.1f} s after (baseline without an outage: {baseline:.1f} s; "
              f"draining {len(during)} letters took {recovery - first:.1f} s, "
              f"{len(during) / max(0.1, recovery - first):.1f} letters/s)")
        workers_alive = sum(process.poll() is None for process in processes[:args.workers])
        print(f"  workers still running: {workers_alive} of {args.workers}")
    finally:
        stop(processes)
        redis_server.kill()
        if not args.keep:
            from django.db import connections

            connections.close_all()
            subprocess.run(["dropdb", "-h", args.host, "-U", args.user, "--if-exists", args.database], check=True)
        shutil.rmtree(work, ignore_errors=True)

    print(f"recovery after a {args.outage:.0f} s broker outage with {args.people} people ready meanwhile, "
          "seconds from Redis back to the last letter issued (target < 60)")
    print(f"{recovery:.1f}")


if __name__ == "__main__":
    main()
