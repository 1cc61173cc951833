"""The WebPeer value object: a DICOMweb origin server (PS3.18 §8.2 base URL), its credentials and TLS trust.

Written in the configuration as ``[peers.archive] url = "https://pacs.example/dicom-web"`` (see
:mod:`smartbox_next.config`). Secrets are never part of the value: a :class:`Secret` names where the password or
token is (an environment variable or a file) and is read only when a request needs it, so ``repr()``, ``config
show``, logs and tracebacks can never carry it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from smartbox_next.dicom.peer import PeerRole
from smartbox_next.errors import ConfigError
from smartbox_next.messages import Bilingual

URL_FORM = Bilingual("an http:// or https:// base URL of a DICOMweb service, e.g. https://pacs.example/dicom-web "
                     "(no user name or password in it, no ?query)",
                     "eine http://- oder https://-Basisadresse eines DICOMweb-Dienstes, z. B. "
                     "https://pacs.example/dicom-web (ohne Benutzername oder Passwort darin, ohne ?Abfrage)")
WEB_ROLES = frozenset({PeerRole.STORAGE})
"""What a DICOMweb peer can be: a STOW-RS destination (worklist, MPPS and commitment are DIMSE here)."""


def is_url(text: str) -> bool:
    """Whether ``text`` is written as a web address (``http://`` / ``https://``) rather than ``AET@host:port``."""
    return text.strip().lower().startswith(("http://", "https://"))


def check_url(text: str, setting: str) -> str:
    """The base URL normalised (no trailing slash); ConfigError naming ``setting`` when it is not one."""
    value = text.strip()
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise ConfigError("config.invalid_value", setting=setting, value=text, expected=URL_FORM) from None
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username is not None
            or parts.password is not None or parts.query or parts.fragment or port == 0
            or any(c.isspace() for c in value)):
        raise ConfigError("config.invalid_value", setting=setting, value=_without_userinfo(value), expected=URL_FORM)
    return value.rstrip("/")


def _without_userinfo(value: str) -> str:
    """``value`` with any ``user:password@`` removed: a malformed URL is echoed in errors, its secret never."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"


class WebAuth(StrEnum):
    """How the station authenticates to a DICOMweb service (PS3.18 §8.3.1 leaves the mechanism to HTTP)."""

    NONE = "none"
    BASIC = "basic"  # RFC 7617: user name and password
    BEARER = "bearer"  # RFC 6750: an access token


@dataclass(frozen=True)
class Secret:
    """Where a password or token is: an environment variable (``env``) or a file (``file``); never the value.

    ``setting`` is the configuration key that named it, for the error when it cannot be read.
    """

    env: str = ""
    file: str = ""
    setting: str = ""

    @property
    def source(self) -> str:
        return f"${self.env}" if self.env else self.file

    def reveal(self, environ: Mapping[str, str] | None = None) -> str:
        """The secret itself, read now; ConfigError ``config.secret_unavailable`` when missing or empty."""
        environ = os.environ if environ is None else environ
        if self.env:
            value = environ.get(self.env, "")
        else:
            try:
                value = Path(self.file).expanduser().read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                value = ""
        value = value.strip("\r\n")
        if not value:
            raise ConfigError("config.secret_unavailable", setting=self.setting, source=self.source)
        return value


@dataclass(frozen=True)
class WebPeer:
    """A DICOMweb origin server: base URL, roles, authentication and TLS trust (PS3.18 §8).

    ``verify_stored``: confirm every stored instance by QIDO-RS before its job counts as delivered (the DICOMweb
    counterpart of storage commitment, so retention never deletes what the archive cannot find).
    """

    url: str
    name: str = ""
    roles: frozenset[PeerRole] = frozenset()
    auth: WebAuth = WebAuth.NONE
    username: str = ""
    secret: Secret | None = field(default=None, repr=False)
    ca_bundle: str = ""
    verify_tls: bool = True
    verify_stored: bool = False

    @classmethod
    def parse(cls, text: str, *, setting: str = "peer", name: str = "",
              roles: frozenset[PeerRole] = frozenset()) -> WebPeer:
        """An ad hoc peer from a URL (``smartbox send --to https://…``): no authentication, TLS verified."""
        return cls(url=check_url(text, setting), name=name, roles=roles)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme.lower() == "https" else 80)

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme.lower() == "https"

    def has(self, role: PeerRole) -> bool:
        return role in self.roles

    def endpoint(self, path: str) -> str:
        """``{base}/{path}``: a resource of the service (PS3.18 §8.2), e.g. ``studies``."""
        return f"{self.url}/{path.lstrip('/')}"

    def __str__(self) -> str:
        return self.url


_WEB_KEYS = frozenset({"url", "enabled", "roles", "auth", "username", "password_env", "password_file", "token_env",
                       "token_file", "ca_bundle", "verify_tls", "verify_stored"})
AUTH_FORM = Bilingual("none, basic or bearer", "none, basic oder bearer")


def web_peer_keys() -> frozenset[str]:
    """The keys a ``[peers.NAME]`` table with ``url`` may have."""
    return _WEB_KEYS


def secret_env_names(table: Mapping[str, Any]) -> set[str]:
    """The environment variables a ``[peers]`` table names as secret sources (not settings themselves)."""
    out: set[str] = set()
    for spec in table.values():
        if isinstance(spec, Mapping):
            out |= {str(spec[k]) for k in ("password_env", "token_env") if isinstance(spec.get(k), str)}
    return out


def web_peer_from_table(name: str, url: str, spec: Mapping[str, Any], setting: str, roles: frozenset[PeerRole],
                        flag: Any) -> WebPeer:
    """A :class:`WebPeer` from its ``[peers.NAME]`` table (``url`` already taken from the table or the environment).

    ``flag(value, setting)`` coerces a boolean setting the way the rest of the configuration does.
    """
    bad_roles = roles - WEB_ROLES
    if bad_roles:
        raise ConfigError("config.web_peer_role", setting=f"{setting}.roles",
                          role=", ".join(sorted(r.value for r in bad_roles)))
    raw_auth = spec.get("auth", "none")
    if raw_auth not in {a.value for a in WebAuth}:
        raise ConfigError("config.invalid_value", setting=f"{setting}.auth", value=raw_auth, expected=AUTH_FORM)
    auth = WebAuth(raw_auth)
    sources = {k: spec[k] for k in ("password_env", "password_file", "token_env", "token_file") if k in spec}
    for key, value in sources.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError("config.invalid_value", setting=f"{setting}.{key}", value=value,
                              expected=Bilingual("a variable name or a file path",
                                                 "ein Variablenname oder ein Dateipfad"))
    wanted = {WebAuth.BASIC: "password", WebAuth.BEARER: "token"}.get(auth)
    secret = None
    for key in sources:
        if wanted is None or not key.startswith(wanted):
            raise ConfigError("config.secret_not_used", setting=f"{setting}.{key}", auth=auth.value)
    if wanted is not None:
        env, file = sources.get(f"{wanted}_env", ""), sources.get(f"{wanted}_file", "")
        if bool(env) == bool(file):
            raise ConfigError("config.secret_source", setting=f"{setting}.{wanted}_env", auth=auth.value,
                              env_key=f"{wanted}_env", file_key=f"{wanted}_file")
        secret = Secret(env=str(env).strip(), file=str(file).strip(),
                        setting=f"{setting}.{wanted}_{'env' if env else 'file'}")
    username = spec.get("username", "")
    if not isinstance(username, str) or ":" in username or any(c in username for c in "\r\n"):
        raise ConfigError("config.invalid_value", setting=f"{setting}.username", value=username,
                          expected=Bilingual("a user name without colon or line break",
                                             "ein Benutzername ohne Doppelpunkt oder Zeilenumbruch"))
    if auth is WebAuth.BASIC and not username:
        raise ConfigError("config.secret_source", setting=f"{setting}.username", auth=auth.value,
                          env_key="username", file_key="password_env / password_file")
    ca_bundle = spec.get("ca_bundle", "")
    if not isinstance(ca_bundle, str):
        raise ConfigError("config.invalid_value", setting=f"{setting}.ca_bundle", value=ca_bundle,
                          expected=Bilingual("a PEM file path", "ein Pfad zu einer PEM-Datei"))
    return WebPeer(url=check_url(url, f"{setting}.url"), name=name, roles=roles, auth=auth, username=username,
                   secret=secret, ca_bundle=ca_bundle,
                   verify_tls=flag(spec.get("verify_tls", True), f"{setting}.verify_tls"),
                   verify_stored=flag(spec.get("verify_stored", False), f"{setting}.verify_stored"))


def web_peer_as_dict(peer: WebPeer) -> dict[str, Any]:
    """The peer as written in the configuration (``config show``): where its secret is, never the secret."""
    out: dict[str, Any] = {"url": peer.url, "auth": peer.auth.value}
    if peer.username:
        out["username"] = peer.username
    if peer.secret is not None:
        kind = "password" if peer.auth is WebAuth.BASIC else "token"
        out[f"{kind}_env" if peer.secret.env else f"{kind}_file"] = peer.secret.env or peer.secret.file
    if peer.ca_bundle:
        out["ca_bundle"] = peer.ca_bundle
    out["verify_tls"] = peer.verify_tls
    out["verify_stored"] = peer.verify_stored
    return out
