"""Start-date letters per second, from enqueue to issued, with real Celery workers.

On a fresh PostgreSQL database (created and migrated here, dropped afterwards unless --keep)
it loads N ready people, each with a queued start-date letter as the case update leaves it, and
starts W `celery worker` processes (prefork, concurrency 1; with `--one-worker`, one worker of
concurrency W, as the production entrypoint runs it) on a queue of its own (only that
queue is purged before and after, so other users of the same Redis database are left alone).
The workers keep their database connection between tasks, as production does
(`DB_CONN_MAX_AGE` 600); `--connection-per-task` opens and closes one per task instead.
Timed: handing every letter to the workers through `letters.publish.enqueue_many` (in batches of
LETTER_ISSUE_BATCH_SIZE, as the sweep does; `--one-by-one` uses `enqueue`, a task per letter, as
a person's case update does) until every letter is issued (claim, render, store the PDF, mark
issued, and the follow-up e-mail task on the same queue).

In the same run, for comparison, W bare processes render the very same letters' HTML with
WeasyPrint alone, `weasyprint.HTML(string=html).write_pdf(font_config=shared, stylesheets=[css])`,
with no database and no broker: half of the letters before the workers run and half after, so
a change in machine load during the run weighs on both figures alike. The target is at least
75% of that bare rate.

    .venv/bin/python benchmarks/issue_end_to_end.py [--letters 10000] [--workers 2] [--batch-size 20]

The figure printed last is the issuing rate as a percentage of the bare rate.
"""

import argparse
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 2_000
QUEUE = f"issue-bench-{os.getpid()}"
READY_ON = date(2024, 3, 5)


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="inburgering_bench_issue")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/13",
                        help="the Redis database of the broker; only this run's queue is touched")
    parser.add_argument("--keep", action="store_true", help="leave the database in place")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="letters per task (LETTER_ISSUE_BATCH_SIZE; default: the setting's)")
    parser.add_argument("--one-worker", action="store_true",
                        help="one worker process with --workers pool processes (the production entrypoint's "
                             "layout) instead of --workers workers of one pool process each")
    parser.add_argument("--one-by-one", action="store_true",
                        help="a task per letter (letters.publish.enqueue) instead of batches")
    parser.add_argument("--connection-per-task", action="store_true",
                        help="workers open and close a database connection per task (CONN_MAX_AGE 0, "
                             "the test settings' default); by default they keep it, as production does")
    return parser.parse_args()


# --- Setting up -------------------------------------------------------------------------------


def fresh_database(args, env) -> None:
    pg = ["-h", args.host, "-U", args.user]
    subprocess.run(["dropdb", *pg, "--if-exists", args.database], check=True)
    subprocess.run(["createdb", *pg, args.database], check=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"], check=True, env=env)


def _valid_bsns(first: int):
    weights = (9, 8, 7, 6, 5, 4, 3, 2)
    prefix = first
    while True:
        digits = f"{prefix:08d}"
        check = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
        if check < 10:
            yield digits + str(check)
        prefix += 1


def load_ready_people_with_queued_letters(count: int) -> list[int]:
    """Ready people and their queued letters, inserted in bulk (what the case update would
    have written one by one). Returns the letter ids."""
    from integration import rules
    from integration.choices import DecisionReason, DecisionSource, Outcome, PurposeOfStay, Regime
    from integration.models import (
        Municipality,
        MunicipalRegistration,
        Newcomer,
        ObligationDecision,
        ResidencePermit,
    )
    from letters.models import Letter, LetterEvent, LetterKind, new_reference

    municipality = Municipality.objects.create(code="GM0344", name="Utrecht")
    article = rules.vw_article_for_residence_title(21)
    decided = date(2024, 2, 12)
    bsns = _valid_bsns(30_000_000)
    letter_ids = []
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        people = Newcomer.objects.bulk_create(
            Newcomer(given_names="Sam", surname=f"Persoon{start + i:06d}", date_of_birth=date(1990, 6, 15),
                     nationality="SY", bsn=next(bsns), bsn_assigned_on=date(2024, 3, 1),
                     conditions_met_on=READY_ON, ready_on=READY_ON, start_letter_owed=True,
                     start_letter_requested=True)
            for i in range(size))
        ResidencePermit.objects.bulk_create(
            ResidencePermit(newcomer=p, residence_title=21, article=article, purpose=PurposeOfStay.FAMILY,
                            decision_date=decided, valid_from=decided) for p in people)
        MunicipalRegistration.objects.bulk_create(
            MunicipalRegistration(newcomer=p, municipality=municipality, street="Oudegracht",
                                  house_number=str(start + i + 1), postcode="3511 AB", town="Utrecht",
                                  registered_on=READY_ON) for i, p in enumerate(people))
        ObligationDecision.objects.bulk_create(
            ObligationDecision(newcomer=p, regime=Regime.WI2021, outcome=Outcome.OBLIGED,
                               reason=DecisionReason.OBLIGED_BY_RULE, decided_on=decided,
                               source=DecisionSource.REGISTRY_FEED) for p in people)
        letters = Letter.objects.bulk_create(
            Letter(newcomer=p, kind=LetterKind.START_DATE, regime=Regime.WI2021,
                   reference=new_reference(LetterKind.START_DATE)) for p in people)
        LetterEvent.objects.bulk_create(LetterEvent(letter=letter, event="queued") for letter in letters)
        letter_ids.extend(letter.pk for letter in letters)
    return letter_ids


# --- Issuing through the workers --------------------------------------------------------------


def start_workers(count: int, env: dict, log_dir: Path, concurrency: int = 1) -> list[subprocess.Popen]:
    workers = []
    for number in range(count):
        log = open(log_dir / f"worker{number}.log", "wb")  # noqa: SIM115 (open while the worker runs)
        # The worker's liveness file appears once its consumer is connected (portal.celery):
        # that is "ready", whatever the log level lets through.
        env = {**env, "HEARTBEAT_FILE": str(log_dir / f"worker{number}.alive")}
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=prefork", f"--concurrency={concurrency}",
             "-Q", QUEUE, "-n", f"bench{number}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
             "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 120
    for number in range(count):
        while not (log_dir / f"worker{number}.alive").exists():
            if time.monotonic() > deadline or workers[number].poll() is not None:
                stop_workers(workers)
                raise SystemExit(f"worker {number} did not start; see {log_dir}")
            time.sleep(0.2)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def issue_through_workers(letter_ids: list[int], one_by_one: bool) -> float:
    """Seconds from the first enqueue until every letter is issued."""
    from letters.models import Letter, LetterStatus
    from letters.publish import enqueue, enqueue_many

    started = time.monotonic()
    handed_out = sum(enqueue(letter_id) for letter_id in letter_ids) if one_by_one else enqueue_many(letter_ids)
    if handed_out != len(letter_ids):
        raise SystemExit("the broker refused letters")
    enqueued = time.monotonic() - started
    while (issued := Letter.objects.filter(status=LetterStatus.ISSUED).count()) < len(letter_ids):
        failed = Letter.objects.filter(status=LetterStatus.FAILED).count()
        if failed:
            raise SystemExit(f"{failed} letters failed to render")
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    print(f"  enqueued {len(letter_ids):,} letters in {enqueued:.1f} s; {issued:,} issued after {elapsed:.1f} s")
    return elapsed


# --- Bare WeasyPrint --------------------------------------------------------------------------


def _warm_bare_process() -> None:
    from letters.rendering import letter_stylesheet, shared_font_config

    shared_font_config(), letter_stylesheet()


def _bare_render(html: str) -> int:
    import weasyprint

    from letters.rendering import letter_stylesheet, shared_font_config

    return len(weasyprint.HTML(string=html).write_pdf(font_config=shared_font_config(),
                                                      stylesheets=[letter_stylesheet()]))


def render_bare(htmls: list[str], processes: int) -> float:
    """Seconds for `processes` warmed-up processes to render every HTML once."""
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_warm_bare_process) as pool:
        pool.map(_bare_render, htmls[:processes * 2], chunksize=1)  # every process warm
        started = time.monotonic()
        pool.map(_bare_render, htmls, chunksize=25)
        return time.monotonic() - started


def letters_html() -> list[str]:
    """Each letter's HTML as the worker will render it (with the dates the claim step sets)."""
    from django.utils import timezone

    from letters.models import Letter
    from letters.rendering import letter_html

    letters = Letter.objects.select_related("newcomer").prefetch_related("newcomer__registrations").order_by("pk")
    htmls = []
    for letter in letters.iterator(chunk_size=BATCH):
        letter.letter_date, letter.start_date = timezone.localdate(), letter.newcomer.permits.get().decision_date
        htmls.append(letter_html(letter))
    return htmls


def main():
    args = _parse()
    storage = Path(tempfile.mkdtemp(prefix="letters-bench-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_ENV": "test",
           "DATABASE_URL": f"postgres://{args.user}@{args.host}:5432/{args.database}",
           "CELERY_BROKER_URL": args.broker_url, "PRIVATE_STORAGE_ROOT": str(storage), "LOG_LEVEL": "WARNING"}
    if args.batch_size:
        env["LETTER_ISSUE_BATCH_SIZE"] = str(args.batch_size)
    fresh_database(args, env)
    os.environ.update(env)
    import django

    django.setup()
    import redis
    from django.conf import settings

    from portal.celery import app

    app.conf.task_default_queue = QUEUE  # this process publishes the letters to the workers' queue
    broker = redis.Redis.from_url(args.broker_url)
    broker.delete(QUEUE)
    workers = []
    try:
        started = time.monotonic()
        letter_ids = load_ready_people_with_queued_letters(args.letters)
        print(f"loaded {len(letter_ids):,} ready people with queued letters in {time.monotonic() - started:.1f} s")
        htmls = letters_html()
        half = len(htmls) // 2
        print(f"{args.workers} bare WeasyPrint processes, the first {half:,} letters' HTML:")
        bare = render_bare(htmls[:half], args.workers)
        print(f"  rendered in {bare:.1f} s")

        worker_env = env
        if not args.connection_per_task:
            worker_env = {**env, "DB_CONN_MAX_AGE": "600"}
        if args.one_worker:
            workers = start_workers(1, worker_env, storage, concurrency=args.workers)
            layout = f"1 worker (prefork, concurrency {args.workers})"
        else:
            workers = start_workers(args.workers, worker_env, storage)
            layout = f"{args.workers} workers (prefork, concurrency 1)"
        how = ("a task per letter" if args.one_by_one
               else f"tasks of {settings.LETTER_ISSUE_BATCH_SIZE} letters")
        print(f"{layout} on Redis, all {len(letter_ids):,} letters, {how}:")
        through_workers = issue_through_workers(letter_ids, args.one_by_one)
        stop_workers(workers)

        print(f"{args.workers} bare WeasyPrint processes, the other {len(htmls) - half:,} letters' HTML:")
        second = render_bare(htmls[half:], args.workers)
        print(f"  rendered in {second:.1f} s")
        bare += second
    finally:
        stop_workers(workers)
        broker.delete(QUEUE, f"_kombu.binding.{QUEUE}")
        if not args.keep:
            from django.db import connections

            connections.close_all()
            subprocess.run(["dropdb", "-h", args.host, "-U", args.user, "--if-exists", args.database], check=True)
        shutil.rmtree(storage, ignore_errors=True)

    issued_rate, bare_rate = len(letter_ids) / through_workers, len(letter_ids) / bare
    print(f"issued through workers: {issued_rate:.1f} letters/s; bare WeasyPrint: {bare_rate:.1f} letters/s")
    print("issuing rate as % of the bare WeasyPrint rate (target >= 75)")
    print(f"{100 * issued_rate / bare_rate:.0f}")


if __name__ == "__main__":
    main()
