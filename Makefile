# Two commands on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

OIDC_BROKER := tests/oidc_provider

# The lock files: requirements.txt is what the image installs (runtime only), requirements-dev.txt
# adds the test and lint tools for `make run` and `make test`. Both pin every package with its
# hashes; `make lock` writes them from pyproject.toml (`make lock LOCK_ARGS=--upgrade` takes newer
# versions).
LOCK := $(abspath $(VENV))/bin/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
        --generate-hashes --custom-compile-command "make lock"

.PHONY: run test test-fast install lint lock lock-check migrate demo worker beat prod-smoke clean

$(VENV)/.installed: requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

lock: install
	$(LOCK) $(LOCK_ARGS) -o requirements.txt
	$(LOCK) $(LOCK_ARGS) --extra dev -c requirements.txt -o requirements-dev.txt

# CI: the lock files still say what pyproject.toml asks for (someone added a dependency without
# `make lock`?). Compiled again in a scratch folder from the current pins, then compared.
lock-check: install
	@scratch=$$(mktemp -d) && cp pyproject.toml requirements.txt requirements-dev.txt $$scratch/ && \
	  (cd $$scratch && $(LOCK) -o requirements.txt && $(LOCK) --extra dev -c requirements.txt -o requirements-dev.txt) && \
	  diff -u requirements.txt $$scratch/requirements.txt && diff -u requirements-dev.txt $$scratch/requirements-dev.txt; \
	  status=$$?; rm -rf $$scratch; \
	  if [ $$status -ne 0 ]; then echo "the lock files are out of date: run 'make lock'" >&2; exit 1; fi

# The real OpenID Connect provider (Node.js) that plays the DigiD broker in the tests.
$(OIDC_BROKER)/node_modules/.installed: $(OIDC_BROKER)/package.json $(OIDC_BROKER)/package-lock.json
	npm ci --prefix $(OIDC_BROKER) --silent
	touch $@

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo_data

# Serves http://127.0.0.1:8000/ with demo data. Without CELERY_BROKER_URL tasks run in-process.
run: demo
	$(PY) manage.py runserver 127.0.0.1:8000

# The whole suite. Uses DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis) when set.
test: install $(OIDC_BROKER)/node_modules/.installed
	DJANGO_ENV=test $(VENV)/bin/pytest $(PYTEST_ARGS)

# The inner loop: no browser, no worker processes.
test-fast: install
	DJANGO_ENV=test $(VENV)/bin/pytest -m "not browser and not worker" $(PYTEST_ARGS)

# Style and errors (ruff), and the direction of imports between and inside the apps (pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

worker: install
	$(VENV)/bin/celery -A portal worker --loglevel=INFO --concurrency=2

beat: install
	$(VENV)/bin/celery -A portal beat --loglevel=INFO --schedule=var/celerybeat-schedule

# The production image's entrypoint and roles, started here without Docker as a non-root user
# against PostgreSQL and Redis, checked and stopped (docker/prod_smoke.py says what it checks).
prod-smoke: install $(OIDC_BROKER)/node_modules/.installed
	$(PY) docker/prod_smoke.py

clean:
	rm -rf $(VENV) var $(OIDC_BROKER)/node_modules
