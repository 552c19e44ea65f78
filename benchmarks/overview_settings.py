"""Settings for `newcomer_overview_load.py` only: the portal's settings plus the benchmark's
baseline views. Selected with DJANGO_SETTINGS_MODULE by that script; never used to serve users."""

import os

from portal.settings import *  # noqa: F403
from portal.settings import TEMPLATES

ROOT_URLCONF = "benchmarks.overview_urls"
# The baseline template (a copy of a rendered overview) is written here by the script.
TEMPLATES[0]["DIRS"] = [os.environ["OVERVIEW_BENCH_TEMPLATES"], *TEMPLATES[0]["DIRS"]]
# Production serves hashed static names from a collected manifest; the script collects into a
# scratch folder so the run leaves nothing behind.
STATIC_ROOT = os.environ.get("OVERVIEW_BENCH_STATIC_ROOT", STATIC_ROOT)  # noqa: F405

# `--proposed-settings` measures the settings change that goes with `portal/sessions.py` before
# `portal/settings.py` has it: the session renewed at most once a minute instead of on every
# request (SESSION_SAVE_EVERY_REQUEST), and the Redis cache without a new client per call. Once
# the portal's settings have it, this changes nothing.
if os.environ.get("OVERVIEW_BENCH_PROPOSED_SETTINGS") == "1":
    MIDDLEWARE = [  # noqa: F405
        "portal.sessions.IdleTimeoutSessionMiddleware"
        if entry == "django.contrib.sessions.middleware.SessionMiddleware" else entry
        for entry in MIDDLEWARE  # noqa: F405
    ]
    SESSION_SAVE_EVERY_REQUEST = False
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":  # noqa: F405
        CACHES["default"]["BACKEND"] = "portal.sessions.RedisCache"  # noqa: F405
