"""The daily re-derivation: time passing changes cases without any new fact (DOMAIN.md §8 ▶).

A person turns 18, a permit reaches its end date, the 8 weeks or the integration period run
out. `case_status` names, for every case, the next day on which that can happen
(`Newcomer.case_review_on`); each day the people whose day has come are found through the
partial index `newcomer_review_idx`, not by scanning everyone, and derived again exactly as a
fact change would (`services.rederive_case`), which also requests or cancels letters.
"""

import logging

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


def rederive_due_cases(on=None, batch_size: int = 500) -> int:
    on = on or timezone.localdate()
    done, after = 0, 0
    while batch := list(services.cases_to_rederive(on, batch_size, after)):
        for newcomer_id in batch:
            services.rederive_case(services.Newcomer(pk=newcomer_id), on)
            done += 1
        after = batch[-1]
    logger.info("Re-derived %d cases whose situation changed by %s.", done, on.isoformat())
    return done


@shared_task(acks_late=True)
def rederive_cases_due_today() -> int:
    return rederive_due_cases()
