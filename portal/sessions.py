"""The idle timeout of logged-in sessions, renewed at most once a minute instead of on every request.

DigiD sessions end after SESSION_COOKIE_AGE seconds without activity. Django's way to get that,
SESSION_SAVE_EVERY_REQUEST, writes the session to the database (and the cache) on every page: a
committed UPDATE that costs more than the rest of a newcomer's page. This middleware takes
SessionMiddleware's place and saves an unchanged session only when its last save is at least
SESSION_RENEW_SECONDS old. A session therefore ends between SESSION_COOKIE_AGE minus
SESSION_RENEW_SECONDS and SESSION_COOKIE_AGE after the last activity: never later than the idle
limit, at most a minute earlier.

A changed session (a login, a logout, a language choice) is saved at once, as always.
"""

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware

# Seconds since the epoch of the session's last save; stored in the session itself.
RENEWED_AT_KEY = "_idle_renewed_at"
DEFAULT_RENEW_SECONDS = 60


def renew_seconds() -> int:
    return getattr(settings, "SESSION_RENEW_SECONDS", DEFAULT_RENEW_SECONDS)


class IdleTimeoutSessionMiddleware(SessionMiddleware):
    """SessionMiddleware whose idle-timeout renewal writes at most once per SESSION_RENEW_SECONDS.

    Meant to run with SESSION_SAVE_EVERY_REQUEST = False: this middleware decides when an
    unchanged session is saved.
    """

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and session.session_key is not None:  # no cookie: nothing to keep alive
            self._stamp_if_due(session)
        return super().process_response(request, response)

    @staticmethod
    def _stamp_if_due(session):
        renewed_at = session.get(RENEWED_AT_KEY)  # loads the session (from the cache, as a rule)
        if session.session_key is None or session.is_empty():
            return  # an unknown, expired or flushed session is not renewed
        now = int(time.time())
        # A changed session is saved anyway: stamp it, so the minute counts from that save.
        if session.modified or renewed_at is None or now - renewed_at >= renew_seconds():
            session[RENEWED_AT_KEY] = now  # marks the session modified: the parent saves it
