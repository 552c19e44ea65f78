"""The admin holds everyone's data: it asks for the second factor like the staff workspaces."""

from urllib.parse import unquote

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value

from portal.accounts.models import Role
from portal.demo.staff import DEMO_TOTP_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(django_user_model):
    user = django_user_model.objects.create_superuser(email="beheer@example.org", password="a-long-password-123")
    assert user.role == Role.ADMINISTRATOR
    return user


def test_the_admin_login_form_is_replaced_by_the_staff_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_administrator_without_totp_is_sent_to_set_it_up(client, administrator):
    client.force_login(administrator)
    response = client.get("/admin/", follow=True)
    # allauth asks for the password again before a second factor may be added.
    assert "/2fa/totp/activate/" in unquote(response.redirect_chain[-1][0])
    assert b"name=\"password\"" in response.content


def test_a_password_only_session_cannot_open_the_admin(client, administrator):
    TOTP.activate(administrator, DEMO_TOTP_SECRET)
    client.force_login(administrator)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/reauthenticate/")


def test_password_and_totp_open_the_admin(client, administrator, settings):
    import time

    from allauth.mfa import app_settings

    TOTP.activate(administrator, DEMO_TOTP_SECRET)
    assert Authenticator.objects.filter(user=administrator).exists()
    response = client.post("/accounts/login/", {"login": "beheer@example.org", "password": "a-long-password-123"})
    assert response.status_code == 302
    code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // app_settings.TOTP_PERIOD))
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
