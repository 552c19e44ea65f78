"""What a logged-in request costs for its session: the idle timeout, renewed at most once a minute
instead of on every request, and the Redis cache the sessions are read from.

DigiD sessions end after SESSION_COOKIE_AGE seconds without activity. Django's way to get that,
SESSION_SAVE_EVERY_REQUEST, writes the session to the database (and the cache) on every page: a
committed UPDATE that costs more than the rest of a newcomer's page. This middleware takes
SessionMiddleware's place and saves an unchanged session only when its last save is at least
SESSION_RENEW_SECONDS old. A session therefore ends between SESSION_COOKIE_AGE minus
SESSION_RENEW_SECONDS and SESSION_COOKIE_AGE after the last activity: never later than the idle
limit, at most a minute earlier.

A changed session (a login, a logout, a language choice) is saved at once, as always.

Every logged-in page reads its session from the cache (cached_db). Django's Redis backend builds
a new redis-py client object for each cache call, and redis-py fills a table of some 170 reply
handlers in each: more CPU than the Redis round trip. `RedisCache` keeps one client per
connection pool instead (redis-py clients are safe to share between threads).
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.dispatch import receiver

# Seconds since the epoch of the session's last save; stored in the session itself.
RENEWED_AT_KEY = "_idle_renewed_at"
# Seconds since the epoch of the login that opened the session.
LOGGED_IN_AT_KEY = "_logged_in_at"
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


@receiver(user_logged_in)
def _remember_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGGED_IN_AT_KEY] = int(time.time())


class AbsoluteSessionLifetimeMiddleware:
    """However active someone is, a logged-in session ends SESSION_ABSOLUTE_SECONDS after its
    login, so a stolen or forgotten session cannot be kept alive for ever by activity.

    Runs after AuthenticationMiddleware; the request then continues as anonymous, and a page
    that needs a login sends the person to log in again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            logged_in_at = request.session.get(LOGGED_IN_AT_KEY)
            if logged_in_at is None:
                request.session[LOGGED_IN_AT_KEY] = int(time.time())  # a session from before this rule
            elif time.time() - logged_in_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


class _SharedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, with one redis-py client per pool instead of one per call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache` without a new redis-py client per call."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClientRedisCacheClient
