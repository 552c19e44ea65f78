# Two commands on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

OIDC_BROKER := tests/oidc_provider

.PHONY: run test test-fast install lint migrate demo worker beat clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

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

lint: install
	$(VENV)/bin/ruff check .

worker: install
	$(VENV)/bin/celery -A portal worker --loglevel=INFO --concurrency=2

beat: install
	$(VENV)/bin/celery -A portal beat --loglevel=INFO --schedule=var/celerybeat-schedule

clean:
	rm -rf $(VENV) var $(OIDC_BROKER)/node_modules
