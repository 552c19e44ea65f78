# syntax=docker/dockerfile:1
# Mijn Inburgering: one image for every role (web, worker, beat, migrate), started through
# docker/entrypoint.sh. `make prod-smoke` runs the same steps on a machine without Docker.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- Build: wheels for exactly what the lock file says, each checked against its hash -----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.txt /build/requirements.txt
RUN pip wheel --require-hashes --no-deps --wheel-dir /build/wheels -r /build/requirements.txt

# --- Runtime: the wheels, the code, the collected static files; nothing else ----------------------
FROM ${PYTHON_IMAGE} AS runtime
# Pango for WeasyPrint (the letter font ships in static/fonts); the PostgreSQL client for the
# backup and restore roles (the same major version as the database service).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 postgresql-client \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    APP_HOME=/app \
    DJANGO_ENV=production \
    STATIC_ROOT=/app/staticfiles \
    PRIVATE_STORAGE_ROOT=/data/private \
    PORTAL_RUN_DIR=/tmp/portal
RUN --mount=type=bind,from=build,source=/build,target=/build \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /build/wheels --require-hashes --no-deps \
       -r /build/requirements.txt
WORKDIR /app
# .dockerignore keeps .env, .venv, var/, .git and the tests out.
COPY . .
# Static files are collected now, as root, into the image: the running user only reads them.
RUN docker/entrypoint.sh build
# The user owns only what it writes: the letters (a volume) and its run folder (/tmp).
RUN useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin portal \
    && install -d -o portal -g portal -m 0750 /data/private
USER portal:portal
VOLUME ["/data/private"]
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
