"""A real OpenID Connect provider playing the DigiD broker in tests.

`OidcBroker` runs panva's `oidc-provider` (tests/oidc_provider/server.mjs) under Node.js on a free
port of 127.0.0.1, with one confidential client, a login page that asks for a BSN and a DigiD level,
PKCE required, the BSN in `bsn` and `sub`, the chosen level as `acr`, and RP-initiated logout
(see tests/oidc_provider/README.md). Use it as a context manager, typically from a fixture:

    with OidcBroker(["http://127.0.0.1:8000/accounts/oidc/digid/login/callback/"]) as broker:
        monkeypatch.setenv(...broker.environment())

`broker_available()` says why it can't run (no `node`, or `npm ci --prefix tests/oidc_provider`
not run yet), for a skip with a clear reason.
"""

from __future__ import annotations

import collections
import functools
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import requests

SERVER_DIR = Path(__file__).resolve().parent / "oidc_provider"

# DigiD's levels as the SAML authentication context classes brokers send in `acr`, weakest first.
ACR_BASIS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
ACR_MIDDEN = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract"
ACR_SUBSTANTIEEL = "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard"
ACR_HOOG = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"
ACR_LEVELS = {"Basis": ACR_BASIS, "Midden": ACR_MIDDEN, "Substantieel": ACR_SUBSTANTIEEL, "Hoog": ACR_HOOG}

START_TIMEOUT = 15.0
# oidc-provider 9 and its jose 6 need this much; Debian 12's own nodejs (18) is too old.
MINIMUM_NODE = (20, 19)


def node_executable() -> str | None:
    return shutil.which("node")


@functools.cache
def _node_version(executable: str) -> tuple[int, ...] | None:
    try:
        output = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10).stdout
        return tuple(int(part) for part in output.strip().lstrip("v").split(".")[:2])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def broker_available() -> str | None:
    """None when the broker can be started, else the reason it can't (for pytest.skip)."""
    executable = node_executable()
    if executable is None:
        return "Node.js (`node`) is not on PATH; the OIDC test broker needs it"
    version = _node_version(executable)
    if version is None or version < MINIMUM_NODE:
        found = ".".join(map(str, version)) if version else "unknown"
        return f"the OIDC test broker needs Node.js {'.'.join(map(str, MINIMUM_NODE))} or later, found {found}"
    if not (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "tests/oidc_provider/node_modules is missing; run `npm ci --prefix tests/oidc_provider`"
    return None


class OidcBrokerError(RuntimeError):
    pass


class OidcBroker:
    """Runs tests/oidc_provider/server.mjs for the lifetime of a `with` block (or start()/stop())."""

    def __init__(
        self,
        redirect_uris: Iterable[str],
        post_logout_redirect_uris: Iterable[str] = (),
        client_id: str = "mijn-inburgering",
        client_secret: str | None = None,
        *,
        port: int = 0,
        issuer: str | None = None,
    ):
        self.redirect_uris = list(redirect_uris)
        self.post_logout_redirect_uris = list(post_logout_redirect_uris)
        if not self.redirect_uris:
            raise ValueError("OidcBroker needs at least one redirect URI")
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(32)
        # Port 0: the server binds a free port itself and reports it, so there is no window in
        # which another process could take a port we picked.
        self.port = port
        self._issuer = issuer
        self.issuer: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=200)
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> OidcBroker:
        reason = broker_available()
        if reason:
            raise OidcBrokerError(reason)
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_REDIRECT_URIS": " ".join(self.redirect_uris),
            "OIDC_POST_LOGOUT_REDIRECT_URIS": " ".join(self.post_logout_redirect_uris),
            "NO_COLOR": "1",
        }
        if self._issuer:
            env["OIDC_ISSUER"] = self._issuer
        else:
            env.pop("OIDC_ISSUER", None)
        self._process = subprocess.Popen(
            [node_executable(), "server.mjs"],
            cwd=SERVER_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        # Drain the pipe for the whole run, so a chatty provider can never block on a full pipe;
        # the last lines are kept for error messages.
        self._reader = threading.Thread(target=self._read_output, name="oidc-broker-output", daemon=True)
        self._reader.start()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            line = line.rstrip("\n")
            self._output.append(line)
            if line.startswith("READY ") and not self._ready.is_set():
                self.issuer = line.split(" ", 1)[1].strip()
                self._ready.set()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready.wait(0.05):
            if self._process.poll() is not None:
                raise OidcBrokerError(f"the OIDC broker exited with code {self._process.returncode}:\n{self.output}")
            if time.monotonic() > deadline:
                raise OidcBrokerError(f"the OIDC broker did not start within {START_TIMEOUT:.0f} s:\n{self.output}")
        # READY is printed once the socket listens; the discovery document proves the provider
        # itself answers.
        while True:
            try:
                response = requests.get(self.discovery_url, timeout=2)
                if response.ok and response.json().get("issuer") == self.issuer:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise OidcBrokerError(f"the OIDC broker never served {self.discovery_url}:\n{self.output}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> OidcBroker:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- what a test needs ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def output(self) -> str:
        """The provider's last lines of stdout and stderr (for failure messages)."""
        return "\n".join(self._output)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def discovery(self) -> dict:
        response = requests.get(self.discovery_url, timeout=5)
        response.raise_for_status()
        return response.json()

    def environment(self) -> dict[str, str]:
        """The portal's environment variables for logging in through this broker."""
        if self.issuer is None:
            raise OidcBrokerError("the OIDC broker is not running")
        return {
            "DIGID_OIDC_SERVER_URL": self.issuer,
            "DIGID_OIDC_CLIENT_ID": self.client_id,
            "DIGID_OIDC_CLIENT_SECRET": self.client_secret,
            "DIGID_OIDC_BSN_CLAIM": "bsn",
        }
