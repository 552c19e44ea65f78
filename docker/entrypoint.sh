#!/bin/sh
# The one entrypoint of the image, for every role. The Dockerfile and docker-compose.yml call it,
# and so does `make prod-smoke` (docker/prod_smoke.py), so what runs in a container is what is
# tested on a machine without Docker.
#
#   entrypoint.sh web                 gunicorn on $WEB_BIND (default 0.0.0.0:$PORT, PORT=8000)
#   entrypoint.sh worker              a Celery worker (concurrency $CELERY_CONCURRENCY, default 2)
#   entrypoint.sh beat                Celery beat (one leads; see portal.celery.LeaderScheduler)
#   entrypoint.sh migrate             the deploy checks (production), then the migrations; one-shot
#   entrypoint.sh check               `check --deploy`, failing on warnings too
#   entrypoint.sh health ROLE         exit 0 when ROLE (web, worker, beat) is healthy
#   entrypoint.sh build               what the image build runs: collectstatic (into STATIC_ROOT),
#                                     compileall
#   entrypoint.sh backup DIR          PostgreSQL dump and the private files (letters) into DIR
#   entrypoint.sh restore DIR         both back, into an empty database
#   entrypoint.sh verify-letters      every issued letter's file is there with its SHA-256
#   entrypoint.sh manage ARGS...      manage.py ARGS
#   entrypoint.sh COMMAND...          any other command, run as it is
#
# Writes only to $PORTAL_RUN_DIR (default /tmp/portal: heartbeats, beat's schedule, gunicorn's
# metric files, caches) and to $PRIVATE_STORAGE_ROOT (letters).
set -eu

APP_HOME="${APP_HOME:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$APP_HOME"
export APP_HOME
export PYTHONPATH="$APP_HOME${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-portal.settings}"
export PYTHONUNBUFFERED=1

RUN_DIR="${PORTAL_RUN_DIR:-/tmp/portal}"
export PORTAL_RUN_DIR="$RUN_DIR"
# fontconfig (WeasyPrint) keeps its cache here, not in a home directory the user may not have.
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$RUN_DIR/cache}"
LOG_LEVEL="${LOG_LEVEL:-INFO}"
PORT="${PORT:-8000}"

role="${1:-web}"
[ "$#" -gt 0 ] && shift

prepare_run_dir() {
    mkdir -p "$RUN_DIR" "$XDG_CACHE_HOME"
}

case "$role" in
web)
    prepare_run_dir
    export PORTAL_ROLE=web
    # gunicorn's workers write their metric samples here; the scrape sums them (portal.metrics).
    # Emptied at every start: samples of a previous run's processes would count twice.
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$RUN_DIR/prometheus}"
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    export WEB_BIND="${WEB_BIND:-0.0.0.0:$PORT}"
    exec gunicorn --config "$APP_HOME/docker/gunicorn.conf.py" portal.wsgi:application "$@"
    ;;
worker)
    prepare_run_dir
    export PORTAL_ROLE=worker
    export HEARTBEAT_FILE="${HEARTBEAT_FILE:-$RUN_DIR/worker.heartbeat}"
    exec celery --quiet -A portal worker --loglevel="$LOG_LEVEL" --concurrency="${CELERY_CONCURRENCY:-2}" \
        --hostname="${CELERY_HOSTNAME:-worker@%h}" --without-gossip --without-mingle "$@"
    ;;
beat)
    prepare_run_dir
    export PORTAL_ROLE=beat
    export HEARTBEAT_FILE="${HEARTBEAT_FILE:-$RUN_DIR/beat.heartbeat}"
    exec celery --quiet -A portal beat --loglevel="$LOG_LEVEL" --schedule="$RUN_DIR/celerybeat-schedule" "$@"
    ;;
migrate)
    prepare_run_dir
    export PORTAL_ROLE=migrate
    if [ "${DJANGO_ENV:-}" = "production" ]; then
        # The gate before any schema change: errors (no DigiD, the mock on, DigiD over http)
        # stop the roll-out here; warnings are printed.
        python manage.py check --deploy --fail-level ERROR
    fi
    exec python manage.py migrate --noinput "$@"
    ;;
check)
    exec python manage.py check --deploy --fail-level WARNING "$@"
    ;;
health)
    target="${1:-web}"
    case "$target" in
    web | live)
        path=/health/ready
        [ "$target" = live ] && path=/health/live
        exec python - "http://127.0.0.1:$PORT$path" <<'PYTHON'
import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        print(response.status, response.read().decode()[:500])
except Exception as error:
    print(f"unhealthy: {error}")
    sys.exit(1)
PYTHON
        ;;
    worker | beat)
        export HEARTBEAT_FILE="${HEARTBEAT_FILE:-$RUN_DIR/$target.heartbeat}"
        exec python -m portal.health "$target"
        ;;
    *)
        echo "usage: $0 health web|live|worker|beat" >&2
        exit 2
        ;;
    esac
    ;;
build)
    # Run once, at image build time, as root: the static files are then part of the image and
    # the running processes only read them. The settings need a key to load; this one is never
    # used for anything else.
    SECRET_KEY="${SECRET_KEY:-collectstatic-only-$(date +%s)-not-a-secret-0123456789abcdefghijkl}" \
        python manage.py collectstatic --noinput --verbosity 1
    python -m compileall -q portal integration letters
    ;;
backup)
    dest="${1:?usage: $0 backup DIR}"
    : "${DATABASE_URL:?DATABASE_URL must be set}"
    : "${PRIVATE_STORAGE_ROOT:?PRIVATE_STORAGE_ROOT must be set}"
    mkdir -p "$dest"
    # The database first, then the files: a letter issued in between leaves a file without a
    # row (harmless), never a row without its file.
    pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.dump" "$DATABASE_URL"
    tar -C "$PRIVATE_STORAGE_ROOT" -czf "$dest/private-files.tar.gz" .
    (cd "$dest" && sha256sum database.dump private-files.tar.gz > SHA256SUMS)
    echo "backup written to $dest"
    ;;
restore)
    src="${1:?usage: $0 restore DIR}"
    : "${DATABASE_URL:?DATABASE_URL must be set}"
    : "${PRIVATE_STORAGE_ROOT:?PRIVATE_STORAGE_ROOT must be set}"
    (cd "$src" && sha256sum --check --quiet SHA256SUMS)
    tables="$(psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align \
        --command="SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
    if [ "$tables" != "0" ]; then
        echo "refusing to restore: the database is not empty ($tables tables); create an empty one" >&2
        exit 1
    fi
    pg_restore --exit-on-error --no-owner --no-privileges --dbname="$DATABASE_URL" "$src/database.dump"
    mkdir -p "$PRIVATE_STORAGE_ROOT"
    tar -C "$PRIVATE_STORAGE_ROOT" -xzf "$src/private-files.tar.gz"
    echo "restored from $src; run '$0 verify-letters' to check every letter file"
    ;;
verify-letters)
    exec python manage.py shell --no-startup --command="
import hashlib, sys
from letters.models import Letter, LetterStatus
checked = bad = 0
for letter in Letter.objects.filter(status=LetterStatus.ISSUED).only('reference', 'pdf', 'sha256').iterator():
    checked += 1
    try:
        with letter.pdf.open('rb') as pdf:
            ok = hashlib.sha256(pdf.read()).hexdigest() == letter.sha256
    except OSError:
        ok = False
    if not ok:
        bad += 1
        print(f'letter {letter.reference}: file missing or changed')
print(f'{checked} issued letters checked, {bad} missing or changed')
sys.exit(1 if bad else 0)
"
    ;;
manage)
    exec python manage.py "$@"
    ;;
*)
    exec "$role" "$@"
    ;;
esac
