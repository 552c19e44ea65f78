"""The OIDC test broker (tests/oidc_broker.py, a real oidc-provider under Node.js) behaves like the
DigiD broker the portal expects: proven here with plain HTTP, before any portal test relies on it."""

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests

from tests.oidc_broker import (
    ACR_BASIS,
    ACR_HOOG,
    ACR_LEVELS,
    ACR_MIDDEN,
    ACR_SUBSTANTIEEL,
    OidcBroker,
    broker_available,
)

_unavailable = broker_available()
pytestmark = pytest.mark.skipif(_unavailable is not None, reason=_unavailable or "")

# Nothing listens on port 9 (discard): the broker only redirects there, the tests never follow.
REDIRECT_URI = "http://127.0.0.1:9/callback"
POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:9/logged-out"
BSN = "111222333"


@pytest.fixture(scope="module")
def broker():
    with OidcBroker([REDIRECT_URI], [POST_LOGOUT_REDIRECT_URI]) as running:
        yield running


@pytest.fixture(scope="module")
def discovery(broker):
    return broker.discovery()


# -- a little browser --------------------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: action, fields (name → value), submit buttons and labels."""

    def __init__(self, html):
        super().__init__()
        self.forms, self.labels, self.scripts = [], {}, []
        self._label_for = self._select = self._option = self._button = None
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({**attrs, "fields": {}, "buttons": [], "options": {}, "ids": {}})
        elif tag == "label":
            self._label_for = attrs.get("for")
            self.labels[self._label_for] = ""
        elif tag == "script":
            self._in_script = True
            self.scripts.append("")
        elif not self.forms:
            return
        elif tag == "input":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
            self.forms[-1]["ids"][attrs.get("id")] = attrs["name"]
        elif tag == "select":
            self._select = attrs["name"]
            self.forms[-1]["ids"][attrs.get("id")] = attrs["name"]
            self.forms[-1]["options"][self._select] = []
        elif tag == "option":
            self._option = attrs
            self.forms[-1]["options"][self._select].append(attrs["value"])
            if "selected" in attrs or self.forms[-1]["fields"].get(self._select) is None:
                self.forms[-1]["fields"][self._select] = attrs["value"]
        elif tag == "button":
            self._button = {**attrs, "text": ""}
            self.forms[-1]["buttons"].append(self._button)

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None
        elif tag == "select":
            self._select = None
        elif tag == "button":
            self._button = None
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._label_for is not None:
            self.labels[self._label_for] += data.strip()
        if self._button is not None:
            self._button["text"] += data.strip()
        if self._in_script:
            self.scripts[-1] += data

    def label_of(self, form, name):
        """The text of the <label> tied (for=id) to the field called `name`."""
        return next(self.labels.get(id_) for id_, field in form["ids"].items() if field == name)


def follow(session, response):
    """Follow redirects while they stay at the broker; return the final broker page, or the URL
    the broker sends the browser to elsewhere (the client's redirect URI) without visiting it."""
    broker_origin = urlsplit(response.url)[:2]
    while response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if urlsplit(location)[:2] != broker_origin:
            return location
        response = session.get(location, allow_redirects=False, timeout=5)
    return response


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(session, broker, discovery, **extra):
    """Start an authorization request as the portal would; returns (page or redirect, request)."""
    verifier, challenge = pkce_pair()
    request = {
        "client_id": broker.client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": ACR_MIDDEN,
        **extra,
    }
    response = session.get(discovery["authorization_endpoint"], params=request, allow_redirects=False, timeout=5)
    return follow(session, response), {**request, "code_verifier": verifier}


def login_form(page):
    assert isinstance(page, requests.Response), f"expected the login page, was sent to {page}"
    assert page.status_code == 200, page.text
    parsed = Forms(page.text)
    [form] = [f for f in parsed.forms if "bsn" in f["fields"]]
    return parsed, form


def submit_login(session, page, bsn=BSN, acr="Midden", button="Inloggen"):
    parsed, form = login_form(page)
    [pressed] = [b for b in form["buttons"] if b["text"] == button]
    action = urljoin(page.url, pressed.get("formaction") or form["action"])
    response = session.post(action, data={"bsn": bsn, "acr": acr}, allow_redirects=False, timeout=5)
    return follow(session, response)


def callback_params(location, request):
    assert isinstance(location, str), f"expected a redirect to the client, got a page:\n{location.text}"
    assert location.startswith(REDIRECT_URI + "?")
    params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert params["state"] == request["state"]
    return params


def redeem(broker, discovery, code, request, auth_method="client_secret_basic"):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": request["code_verifier"],
    }
    if auth_method == "client_secret_basic":
        response = requests.post(
            discovery["token_endpoint"], data=data, auth=(broker.client_id, broker.client_secret), timeout=5
        )
    else:
        data |= {"client_id": broker.client_id, "client_secret": broker.client_secret}
        response = requests.post(discovery["token_endpoint"], data=data, timeout=5)
    return response


def verified_claims(broker, discovery, id_token):
    jwks = jwt.PyJWKSet.from_dict(requests.get(discovery["jwks_uri"], timeout=5).json())
    kid = jwt.get_unverified_header(id_token)["kid"]
    [key] = [k for k in jwks.keys if k.key_id == kid]
    return jwt.decode(id_token, key=key, algorithms=["RS256"], audience=broker.client_id, issuer=broker.issuer)


def log_in(session, broker, discovery, acr="Midden", auth_method="client_secret_basic"):
    """A complete login: returns the token response and the request that started it."""
    page, request = authorize(session, broker, discovery)
    params = callback_params(submit_login(session, page, acr=acr), request)
    response = redeem(broker, discovery, params["code"], request, auth_method)
    assert response.status_code == 200, response.text
    return response.json(), request


# -- the tests ---------------------------------------------------------------------------------


def test_discovery_describes_a_digid_broker(broker, discovery):
    assert discovery["issuer"] == broker.issuer
    assert broker.issuer.startswith("http://127.0.0.1:")
    for endpoint in ("authorization", "token", "userinfo", "end_session"):
        assert discovery[f"{endpoint}_endpoint"].startswith(broker.issuer + "/")
    assert discovery["jwks_uri"].startswith(broker.issuer + "/")
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["acr_values_supported"] == [ACR_BASIS, ACR_MIDDEN, ACR_SUBSTANTIEEL, ACR_HOOG]
    assert "bsn" in discovery["claims_supported"]
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["grant_types_supported"] == ["authorization_code"]
    assert set(discovery["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}


def test_environment_points_the_portal_at_the_broker(broker):
    assert broker.environment() == {
        "DIGID_OIDC_SERVER_URL": broker.issuer,
        "DIGID_OIDC_CLIENT_ID": "mijn-inburgering",
        "DIGID_OIDC_CLIENT_SECRET": broker.client_secret,
        "DIGID_OIDC_BSN_CLAIM": "bsn",
    }
    assert len(broker.client_secret) >= 32


def test_login_page_is_a_labelled_form(broker, discovery):
    page, _ = authorize(requests.Session(), broker, discovery)
    parsed, form = login_form(page)

    assert parsed.label_of(form, "bsn") == "BSN"
    assert parsed.label_of(form, "acr") == "Betrouwbaarheidsniveau"
    assert form["options"]["acr"] == list(ACR_LEVELS)
    assert form["fields"]["acr"] == "Midden"
    assert [b["text"] for b in form["buttons"]] == ["Inloggen", "Annuleren"]
    assert '<html lang="nl">' in page.text


@pytest.mark.parametrize(
    ("level", "auth_method"),
    [("Midden", "client_secret_basic"), ("Hoog", "client_secret_post"), ("Basis", "client_secret_basic")],
)
def test_authorization_code_flow_with_pkce(broker, discovery, level, auth_method):
    session = requests.Session()
    page, request = authorize(session, broker, discovery)
    location = submit_login(session, page, acr=level)
    params = callback_params(location, request)
    assert params["iss"] == broker.issuer  # RFC 9207 issuer in the authorization response

    response = redeem(broker, discovery, params["code"], request, auth_method)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"].lower() == "bearer"

    claims = verified_claims(broker, discovery, tokens["id_token"])
    assert claims["bsn"] == BSN
    assert claims["sub"] == BSN
    assert claims["nonce"] == request["nonce"]
    assert claims["acr"] == ACR_LEVELS[level]

    userinfo = requests.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5
    )
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["bsn"] == BSN
    assert userinfo.json()["sub"] == BSN

    # A code is good for one exchange only.
    assert redeem(broker, discovery, params["code"], request, auth_method).json()["error"] == "invalid_grant"


def test_token_request_needs_the_pkce_verifier_and_the_secret(broker, discovery):
    session = requests.Session()
    page, request = authorize(session, broker, discovery)
    code = callback_params(submit_login(session, page), request)["code"]

    wrong_secret = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": request["code_verifier"],
        },
        auth=(broker.client_id, "not-the-secret"),
        timeout=5,
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"

    wrong_verifier = redeem(broker, discovery, code, {**request, "code_verifier": pkce_pair()[0]})
    assert wrong_verifier.json()["error"] == "invalid_grant"


def test_pkce_is_required(broker, discovery):
    location, request = authorize(
        requests.Session(), broker, discovery, code_challenge=None, code_challenge_method=None
    )
    params = callback_params(location, request)
    assert params["error"] == "invalid_request"
    assert "PKCE" in params["error_description"]


def test_second_authorization_signs_in_without_the_login_page(broker, discovery):
    session = requests.Session()
    first, _ = log_in(session, broker, discovery, acr="Substantieel")

    location, request = authorize(session, broker, discovery)
    params = callback_params(location, request)  # straight back to the client: no form shown
    tokens = redeem(broker, discovery, params["code"], request).json()
    claims = verified_claims(broker, discovery, tokens["id_token"])
    assert claims["bsn"] == BSN
    assert claims["nonce"] == request["nonce"]
    assert claims["acr"] == ACR_SUBSTANTIEEL  # the level of the sign-in that made the session


def test_logout_ends_the_broker_session(broker, discovery):
    session = requests.Session()
    tokens, _ = log_in(session, broker, discovery)

    logout = session.get(
        discovery["end_session_endpoint"],
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT_REDIRECT_URI,
            "state": "bye",
        },
        allow_redirects=False,
        timeout=5,
    )
    # The confirmation page submits itself (a browser does not have to click anything)...
    assert logout.status_code == 200, logout.text
    parsed = Forms(logout.text)
    [form] = [f for f in parsed.forms if f.get("id") == "op.logoutForm"]
    assert form["fields"]["logout"] == "yes"
    assert any("op.logoutForm" in script and "submit()" in script for script in parsed.scripts)

    # ...which a script-less client does by posting it.
    confirmed = session.post(urljoin(logout.url, form["action"]), data=form["fields"], allow_redirects=False, timeout=5)
    assert follow(session, confirmed) == f"{POST_LOGOUT_REDIRECT_URI}?state=bye"

    # The session is gone: the next authorization asks for the BSN again...
    page, _ = authorize(session, broker, discovery)
    login_form(page)
    # ...and the tokens of the ended session no longer open the userinfo.
    userinfo = requests.get(
        discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5
    )
    assert userinfo.status_code == 401


def test_logout_rejects_an_unregistered_post_logout_redirect_uri(broker, discovery):
    session = requests.Session()
    tokens, _ = log_in(session, broker, discovery)
    response = session.get(
        discovery["end_session_endpoint"],
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://127.0.0.1:9/elsewhere"},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 400
    assert "post_logout_redirect_uri not registered" in response.text


def test_cancel_gives_access_denied(broker, discovery):
    session = requests.Session()
    page, request = authorize(session, broker, discovery)
    params = callback_params(submit_login(session, page, bsn="", button="Annuleren"), request)
    assert params["error"] == "access_denied"
    assert "code" not in params

    # Cancelling signs nobody in.
    page, _ = authorize(session, broker, discovery)
    login_form(page)


def test_empty_bsn_shows_the_form_again(broker, discovery):
    session = requests.Session()
    page, _ = authorize(session, broker, discovery)
    _, form = login_form(page)
    response = session.post(urljoin(page.url, form["action"]), data={"bsn": " ", "acr": "Midden"}, timeout=5)
    assert response.status_code == 400
    assert 'role="alert"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_broker_stops_with_its_block():
    with OidcBroker([REDIRECT_URI]) as short_lived:
        issuer = short_lived.issuer
        assert short_lived.running
        assert requests.get(short_lived.discovery_url, timeout=5).ok
    assert not short_lived.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
