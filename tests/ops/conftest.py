import pytest


@pytest.fixture
def production_like(settings):
    """What production adds in front of every view: the HTTPS redirect, a real host list."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["portal.example"]
    return settings


@pytest.fixture
def redis_url(settings):
    """The Redis the suite was given (CI: CELERY_BROKER_URL), or skip."""
    from tests.letters.workers import redis_reachable

    url = settings.CELERY_BROKER_URL
    if not url or not redis_reachable(url):
        pytest.skip("needs Redis (set CELERY_BROKER_URL)")
    return url
