"""One HTTP connection to a DICOMweb service (httpx): credentials, TLS trust, timeouts, errors as project errors.

Why httpx: it streams a request body from an iterator (the files are read block by block as the socket takes
them, :mod:`.multipart`), keeps the connection open between requests (one TCP/TLS set-up per destination, not
per object), has separate connect / write / read timeouts, and reads an early answer of a server that refuses
a large upload before its end (401, 413) instead of reporting a broken pipe. dicomweb-client builds the whole
multipart body in memory (``bench/dicomweb.py`` measures it).

Timeouts (:class:`WebSettings`): connect ``network.connect_timeout``; write ``network.network_timeout`` (a server
that reads nothing of the body for that long); read ``dicomweb.response_timeout`` (the answer once the body is
sent — a server may be writing gigabytes). Transport failures become ConnectError, ResponseTimeoutError or
AssociationAbortedError (retryable), a refused certificate ``dicomweb.tls_failed`` (permanent); HTTP failure
statuses are translated by :func:`.response.http_error` where the caller knows the instances concerned.

Secrets are read from their source (:class:`~smartbox_next.dicom.webpeer.Secret`) when the connection is made and
live only in the HTTP client's ``Authorization`` header; nothing here logs headers.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from smartbox_next import __version__
from smartbox_next.config import DicomwebConfig, NetworkConfig
from smartbox_next.dicom.webpeer import WebAuth, WebPeer
from smartbox_next.errors import (
    AssociationAbortedError,
    ConfigError,
    ConnectError,
    NetworkError,
    ResponseTimeoutError,
)
from smartbox_next.messages import Bilingual

LOG = logging.getLogger(__name__)

ACCEPT_STORE = "application/dicom+json, application/dicom+xml;q=0.5"  # PS3.18 §10.5.2: JSON preferred
ACCEPT_QUERY = "application/dicom+json"
_SERVER = Bilingual("server or network", "Server oder Netzwerk")


@dataclass(frozen=True)
class WebSettings:
    """Our side of a DICOMweb connection: timeouts (s) and request grouping (from ``[network]``/``[dicomweb]``)."""

    connect_timeout: float = 10.0
    write_timeout: float = 600.0
    response_timeout: float = 600.0
    objects_per_request: int = 16
    request_bytes: int = 32 * 1024 * 1024
    verify_timeout: float = 30.0
    user_agent: str = f"SmartBox-Next/{__version__}"

    @classmethod
    def of(cls, network: NetworkConfig, dicomweb: DicomwebConfig) -> WebSettings:
        return cls(connect_timeout=network.connect_timeout, write_timeout=network.network_timeout,
                   response_timeout=dicomweb.response_timeout, objects_per_request=dicomweb.objects_per_request,
                   request_bytes=dicomweb.request_mb * 1024 * 1024, verify_timeout=dicomweb.verify_timeout)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, the headers we use, the body (at most ``MAX_ANSWER`` bytes), round trip (ms)."""

    status: int
    content_type: str
    body: bytes
    retry_after: str
    location: str
    ms: float


MAX_ANSWER = 16 * 1024 * 1024


class WebClient:
    """HTTP to one :class:`WebPeer`, one kept-alive connection (a destination's worker is its only user).

    ``transport`` replaces the network (tests); ``environ`` is where ``*_env`` secrets are looked up.
    """

    def __init__(self, peer: WebPeer, settings: WebSettings, *, environ: Mapping[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.peer = peer
        self.settings = settings
        self._environ = environ
        self._transport = transport
        self._http: httpx.Client | None = None

    # ---------------------------------------------------------------- connection

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": self.settings.user_agent}
        secret = self.peer.secret
        if self.peer.auth is WebAuth.BASIC and secret is not None:
            password = _secret(secret, self._environ)
            token = base64.b64encode(f"{self.peer.username}:{password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"  # RFC 7617
        elif self.peer.auth is WebAuth.BEARER and secret is not None:
            headers["Authorization"] = f"Bearer {_secret(secret, self._environ)}"
        return headers

    def _verify(self) -> ssl.SSLContext | bool:
        if not self.peer.tls:
            return True  # unused for http://
        if not self.peer.verify_tls:
            return False
        try:
            return ssl.create_default_context(cafile=self.peer.ca_bundle or None)  # system CAs unless a bundle
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError("config.invalid_value", setting=f"peers.{self.peer.name or 'peer'}.ca_bundle",
                              value=self.peer.ca_bundle, expected=Bilingual(
                                  f"a readable PEM CA file ({exc})", f"eine lesbare PEM-CA-Datei ({exc})")) from None

    def http(self) -> httpx.Client:
        """The open HTTP client (made on first use, again after a transport failure)."""
        if self._http is None:
            s = self.settings
            # TCP_NODELAY: the end of a body and the next request's headers are small writes that Nagle's
            # algorithm would hold back until the server's delayed ACK (tens of ms per request; curl sets it too)
            transport = self._transport or httpx.HTTPTransport(
                verify=self._verify(), limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
            self._http = httpx.Client(
                headers=self._headers(), transport=transport, follow_redirects=False, trust_env=False,
                timeout=httpx.Timeout(connect=s.connect_timeout, write=s.write_timeout, read=s.response_timeout,
                                      pool=s.connect_timeout))
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # ---------------------------------------------------------------- requests

    def request(self, method: str, path: str, *, operation: str, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None, content: Iterator[bytes] | None = None) -> Answer:
        """One request to ``{base}/{path}``; transport failures raise NetworkError, HTTP statuses are returned."""
        url = self.peer.endpoint(path)
        started = time.perf_counter()
        try:
            with self.http().stream(method, url, headers=dict(headers or {}), params=params,
                                    content=content) as response:
                body = _read_limited(response)
                return Answer(response.status_code, response.headers.get("content-type", ""), body,
                              response.headers.get("retry-after", ""), response.headers.get("location", ""),
                              (time.perf_counter() - started) * 1000)
        except httpx.HTTPError as exc:
            self.close()  # the connection is in an unknown state: the next request opens a new one
            raise self.transport_error(exc, operation) from None
        except BaseException:
            self.close()
            raise

    def transport_error(self, exc: httpx.HTTPError, operation: str) -> NetworkError:
        """The project error for an httpx transport failure (see the module docstring)."""
        peer = str(self.peer)
        tls = _tls_cause(exc)
        if isinstance(tls, ssl.SSLCertVerificationError):
            detail = tls.verify_message or str(tls)
            return NetworkError("dicomweb.tls_failed", retryable=False, peer=peer, detail=detail)
        if tls is not None:
            return NetworkError("dicomweb.tls_failed", retryable=True, peer=peer, detail=str(tls))
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return ConnectError("net.connect_failed", peer=peer, host=self.peer.host, port=self.peer.port)
        if isinstance(exc, httpx.TimeoutException):
            return ResponseTimeoutError("net.timeout", peer=peer, operation=operation)
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return NetworkError("dicomweb.bad_url", retryable=False, peer=peer, url=self.peer.url, detail=str(exc))
        return AssociationAbortedError("net.aborted", peer=peer, operation=operation, source=_SERVER)


def _secret(secret: Any, environ: Mapping[str, str] | None) -> str:
    try:
        value: str = secret.reveal(os.environ if environ is None else environ)
    except ConfigError as exc:  # may be fixed while the service runs (a file appears): retry, do not fail for good
        raise ConfigError(exc.key, retryable=True, **exc.params) from None
    return value


def _read_limited(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
