"""Celery as operators see it: the request id travels with a task into the worker, a worker shows
it is alive with a heartbeat, and a second beat stands by instead of sending the schedule twice."""

import json
import os
import signal
import time
import uuid

import pytest
import redis
from django.db import connection

from portal import request_id
from portal.celery import LeaderScheduler, app
from tests.letters.workers import (
    WorkerProcess,
    database_url,
    publishing_to,
    purge_queue,
    redis_reachable,
    wait_until,
    with_redis_db,
    worker_environment,
)

OPS_TEST_REDIS_DB = 12


@app.task(name="tests.ops.request_id_seen_by_the_task")
def request_id_seen_by_the_task():
    return request_id.current(), request_id.current_task()


def test_an_in_process_task_runs_under_the_request_id_that_enqueued_it():
    with request_id.bound("proxy-request-5e6f7a8b"):
        seen, task = request_id_seen_by_the_task.apply().get()
    assert seen == "proxy-request-5e6f7a8b"
    assert task[1] == "tests.ops.request_id_seen_by_the_task"
    assert request_id.current() is None


def test_a_task_without_a_request_uses_its_own_id():
    result = request_id_seen_by_the_task.apply()
    seen, (task_id, _name) = result.get()
    assert seen == task_id == result.id


@pytest.fixture
def ops_broker(settings):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a Redis broker (set CELERY_BROKER_URL)")
    url = with_redis_db(settings.CELERY_BROKER_URL, OPS_TEST_REDIS_DB)
    if not redis_reachable(url):
        pytest.skip(f"Redis does not answer at {url}")
    queue = f"ops-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        yield url, queue
    finally:
        purge_queue(url, queue)


def test_the_message_carries_the_request_id_to_the_worker(ops_broker):
    url, queue = ops_broker
    with publishing_to(app, url, queue), request_id.bound("proxy-request-9d8c7b6a"):
        request_id_seen_by_the_task.delay()
    raw = redis.Redis.from_url(url).lpop(queue)
    assert raw is not None
    assert json.loads(raw)["headers"]["request_id"] == "proxy-request-9d8c7b6a"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_logs_the_request_id_keeps_a_heartbeat_and_clears_it_on_stop(ops_broker, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("worker tests need PostgreSQL (set DATABASE_URL)")
    url, queue = ops_broker
    heartbeat = tmp_path / "worker.heartbeat"
    env = worker_environment(database=database_url(connection.settings_dict), broker_url=url, queue=queue,
                             storage_root=tmp_path, LOG_FORMAT="json", HEARTBEAT_FILE=str(heartbeat),
                             HEARTBEAT_SECONDS="1")
    worker = WorkerProcess("ops", env, tmp_path).start()
    try:
        worker.wait_ready()
        wait_until(heartbeat.exists, 10, message="the heartbeat file")
        first = heartbeat.stat().st_mtime
        wait_until(lambda: heartbeat.stat().st_mtime > first, 10, message="the heartbeat to be touched again")

        with publishing_to(app, url, queue), request_id.bound("proxy-request-1a2b3c4d"):
            app.send_task("letters.tasks.sweep_due_letters")

        def task_line():
            for line in worker.log().splitlines():
                if line.startswith("{"):
                    record = json.loads(line)
                    sweep = record.get("task_name") == "letters.tasks.sweep_due_letters"
                    if sweep and "succeeded" in record["message"]:
                        return record
            return None

        wait_until(task_line, 30, message="the task's log line")
        assert task_line()["request_id"] == "proxy-request-1a2b3c4d"

        os.kill(worker.process.pid, signal.SIGTERM)
        worker.process.wait(timeout=30)
        assert not heartbeat.exists()
    finally:
        worker.kill()


def _scheduler(url, tmp_path, name, lock_key):
    scheduler = LeaderScheduler(app=app, schedule_filename=str(tmp_path / f"{name}-schedule"), lazy=True)
    scheduler._client = redis.Redis.from_url(url)  # the test's Redis database, not the app's broker
    scheduler.lock_key = lock_key
    scheduler.lock_ms = 3000
    return scheduler


def test_one_beat_leads_a_second_stands_by_and_takes_over(ops_broker, tmp_path, monkeypatch):
    url, _queue = ops_broker
    lock_key = f"portal:beat:leader:test-{uuid.uuid4().hex[:8]}"
    first = _scheduler(url, tmp_path, "first", lock_key)
    second = _scheduler(url, tmp_path, "second", lock_key)
    try:
        assert first.is_leader()
        assert not second.is_leader()
        assert first.is_leader()  # renewing its own lock
        sent = []
        monkeypatch.setattr(type(second).__mro__[1], "tick", lambda self, *a, **k: sent.append(self) or 1.0)
        assert second.tick() == pytest.approx(1.0)
        assert sent == []  # the standby sent nothing
        time.sleep(3.2)  # the leader stopped renewing (died): its lock expires
        assert second.is_leader()
        assert not first.is_leader()
    finally:
        redis.Redis.from_url(url).delete(lock_key)


def test_a_beat_that_stops_hands_over_at_once(ops_broker, tmp_path):
    url, _queue = ops_broker
    lock_key = f"portal:beat:leader:test-{uuid.uuid4().hex[:8]}"
    first = _scheduler(url, tmp_path, "first", lock_key)
    second = _scheduler(url, tmp_path, "second", lock_key)
    try:
        assert first.is_leader() and not second.is_leader()
        first.close()
        assert second.is_leader()
    finally:
        redis.Redis.from_url(url).delete(lock_key)
