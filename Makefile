# Two commands on a fresh machine: `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test install lint migrate demo worker beat clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo_data

# Serves http://127.0.0.1:8000/ with demo data. Without CELERY_BROKER_URL tasks run in-process.
run: demo
	$(PY) manage.py runserver 127.0.0.1:8000

# The whole suite. Uses DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis) when set.
test: install
	DJANGO_ENV=test $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

worker: install
	$(VENV)/bin/celery -A portal worker --loglevel=INFO --concurrency=2

beat: install
	$(VENV)/bin/celery -A portal beat --loglevel=INFO --schedule=var/celerybeat-schedule

clean:
	rm -rf $(VENV) var
