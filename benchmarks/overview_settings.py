"""Settings for `newcomer_overview_load.py` only: the portal's settings plus the benchmark's
baseline view. Selected with DJANGO_SETTINGS_MODULE by that script; never used to serve users."""

import os

from portal.settings import *  # noqa: F403
from portal.settings import TEMPLATES

ROOT_URLCONF = "benchmarks.overview_urls"
# The baseline template (a copy of a rendered overview) is written here by the script.
TEMPLATES[0]["DIRS"] = [os.environ["OVERVIEW_BENCH_TEMPLATES"], *TEMPLATES[0]["DIRS"]]
