"""Who may use the station's API: local by default, remote only with a password; CSRF-safe state changes.

* Bound to a loopback address without ``web.password_hash``: no login (the station's own screen). Bound to any
  other address a password is required (refused at start otherwise, ``web.remote_needs_password``).
* The password is stored only as an scrypt hash (:func:`hash_password`, ``smartbox station --hash-password``).
  A login sets a random session token in a cookie that is ``HttpOnly`` and ``SameSite=Strict`` (``Secure`` over
  HTTPS); integrators may send ``Authorization: Bearer <password>`` instead (no cookie, so no CSRF exposure).
* Every state-changing request (POST) with a cookie session — or without login on loopback — must carry the
  session's CSRF token in ``X-CSRF-Token`` (the page reads it from ``GET /api/session``; another site cannot),
  an ``Origin``, when sent, must be the station itself, and the ``Host`` must be one of the station's names
  (no DNS rebinding). Missing credentials: 401; a refused request: 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from smartbox_next.config import WebConfig
from smartbox_next.errors import ConfigError

SESSION_COOKIE = "smartbox_session"
CSRF_HEADER = "x-csrf-token"
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$<salt>$<hash>`` (base64) of ``password``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant time; a malformed hash never matches)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass
class Session:
    token: str
    csrf: str
    expires: float


class Security:
    """Sessions, CSRF tokens and the checks of :mod:`the module docstring <smartbox_next.web.security>`."""

    def __init__(self, web: WebConfig, *, https: bool = False, port: int | None = None) -> None:
        if not is_loopback(web.bind) and not web.password_hash:
            raise ConfigError("web.remote_needs_password", address=web.bind)
        if bool(web.tls_certificate) != bool(web.tls_private_key):
            raise ConfigError("web.tls_incomplete")
        self.web = web
        self.https = https
        self.auth_required = bool(web.password_hash)
        self.port = port or web.port
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.local_csrf = secrets.token_urlsafe(24)  # the CSRF token when no login is needed
        self._failures: list[float] = []
        hosts = {"localhost", "127.0.0.1", "::1", web.bind}
        hosts |= {h.strip().lower() for h in web.allowed_hosts.split(",") if h.strip()}
        self.hosts = {h.lower() for h in hosts}

    # ---------------------------------------------------------------- sessions

    def login(self, password: str) -> Session | None:
        """A new session for the right password; None (after a short delay) for a wrong one."""
        if not self.auth_required:
            return None
        if not verify_password(password, self.web.password_hash):
            with self._lock:
                now = time.monotonic()
                self._failures = [t for t in self._failures if now - t < 60] + [now]
                delay = min(5.0, 0.25 * len(self._failures))
            time.sleep(delay)  # slows guessing down; the hash itself costs ~50 ms
            return None
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(24),
                          time.time() + self.web.session_hours * 3600)
        with self._lock:
            self._sessions[session.token] = session
        return session

    def logout(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(token, None)

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is not None and session.expires < time.time():
                self._sessions.pop(token, None)
                return None
            return session

    def bearer_ok(self, authorization: str | None) -> bool:
        if not self.auth_required or not authorization or not authorization.lower().startswith("bearer "):
            return False
        return verify_password(authorization[7:].strip(), self.web.password_hash)

    def cookie_flags(self) -> dict[str, object]:
        return {"httponly": True, "samesite": "strict", "secure": self.https, "path": "/",
                "max_age": int(self.web.session_hours * 3600)}

    # ---------------------------------------------------------------- checks

    def host_ok(self, host_header: str | None) -> bool:
        """The Host names the station (no DNS rebinding: a foreign name pointing at us is refused)."""
        if not host_header:
            return False
        host = urlsplit(f"//{host_header}").hostname or ""
        return host.lower() in self.hosts or (not is_loopback(self.web.bind) and self.web.bind in ("0.0.0.0", "::")
                                               and _is_ip(host))

    @staticmethod
    def origin_ok(origin: str | None, host_header: str | None) -> bool:
        if origin is None:
            return True
        if origin == "null" or not host_header:
            return False
        return urlsplit(origin).netloc.lower() == host_header.lower()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
