"""DICOM over TLS as client (PS3.15 B.1 "Basic TLS Secure Transport Connection Profile", B.9 "Modern BCP 195
TLS Profile"): the trust model, and what a failed handshake means.

**Trust model** (documented in the conformance statement, section 8, and ``docs/design.md``):

* A TLS peer is trusted only through a CA the station is told to trust: the PEM bundle in
  ``network.tls_ca_certificates``. The operating system's CA store (which trusts any public web
  certificate) is used only when ``network.tls_system_ca = true`` is set explicitly. A TLS peer with neither
  is refused before connecting (``net.tls.no_ca``), never silently checked against the system store.
* The certificate must be valid now and issued for the peer: its subject alternative names must contain the
  peer's host (a DNS name, or an IP address for a peer addressed by IP), or the expected name configured as
  ``[peers.NAME] tls_name`` (RFC 6125 matching by OpenSSL; ``check_hostname`` on). That name is also sent as SNI.
* TLS 1.2 or newer; the station presents ``network.tls_certificate`` / ``network.tls_private_key`` when set
  (peers that require client certificates).

**Diagnosis.** pynetdicom wraps the socket with our context and swallows the exception of a failed connect
(it only logs it), so every TLS failure used to read "nothing answers at … port N". The context made here is a
:class:`WatchedContext`: its sockets (:class:`WatchedSocket`, through the public ``SSLContext.sslsocket_class``
hook) remember whether the TCP connection stood and the handshake's exception, and :func:`classify` turns that
into a :class:`~smartbox_next.net.link.Fault`: unknown CA, expired, not yet valid, host-name mismatch, a peer
that does not speak TLS on that port, a peer that refused us (TLS alert), closed, timed out.
"""

from __future__ import annotations

import ssl
from typing import Any

from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import ConnectError
from smartbox_next.net.link import Fault, FaultKind, LinkSettings

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2

# OpenSSL X509_V_ERR_* codes (x509_vfy.h) of SSLCertVerificationError.verify_code
_UNKNOWN_CA = frozenset({2, 18, 19, 20, 21})  # unable to get issuer / self-signed / self-signed in chain / …
_EXPIRED = 10
_NOT_YET_VALID = 9
_NAME_MISMATCH = frozenset({62, 64})  # host name / IP address mismatch
# OpenSSL reasons when the answer to our ClientHello is no TLS record at all
_NOT_TLS_REASONS = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE",
                              "PACKET_LENGTH_TOO_LONG", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST",
                              "UNEXPECTED_RECORD", "BAD_RECORD_TYPE", "WRONG_SSL_VERSION"})


class WatchedSocket(ssl.SSLSocket):
    """An SSLSocket that tells its :class:`WatchedContext` how its connect went (TCP up? handshake error?)."""

    def connect(self, addr: Any) -> None:
        try:
            super().connect(addr)
        except OSError as exc:
            ctx = self.context
            if isinstance(ctx, WatchedContext):
                ctx.failure = exc
            raise

    def do_handshake(self, block: bool = False) -> None:
        ctx = self.context
        if isinstance(ctx, WatchedContext):
            ctx.handshake_started = True  # the TCP connection stands
        super().do_handshake(block)


class WatchedContext(ssl.SSLContext):
    """A client context whose sockets record the connect outcome (one context per association attempt)."""

    sslsocket_class = WatchedSocket
    failure: OSError | None
    handshake_started: bool


def client_context(settings: LinkSettings, peer: Peer) -> WatchedContext:
    """The TLS context for one association attempt with ``peer`` (see the trust model above).

    Raises ConnectError ``net.tls.no_ca`` when no CA is configured (and the system store is not opted into),
    ``net.tls.files`` when a certificate, key or CA file cannot be loaded: configuration errors, not retryable.
    """
    if not settings.tls_ca_certificates and not settings.tls_system_ca:
        raise ConnectError("net.tls.no_ca", retryable=False, peer=str(peer))
    ctx = WatchedContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname on
    ctx.failure = None
    ctx.handshake_started = False
    ctx.minimum_version = MINIMUM_VERSION
    try:
        if settings.tls_ca_certificates:
            ctx.load_verify_locations(cafile=settings.tls_ca_certificates)
        if settings.tls_system_ca:
            ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        if settings.tls_certificate:
            ctx.load_cert_chain(settings.tls_certificate, settings.tls_private_key or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError("net.tls.files", retryable=False, peer=str(peer), detail=short_reason(exc)) from None
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    return ctx


def facts() -> dict[str, str]:
    """Minimum protocol version, peer verification and host-name check of every client context (for the docs)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return {"minimum_version": MINIMUM_VERSION.name.replace("TLSv", "TLS ").replace("_", "."),
            "verify_mode": ctx.verify_mode.name, "check_hostname": str(ctx.check_hostname).lower()}


def short_reason(exc: BaseException) -> str:
    """OpenSSL's reason or the OS error text, without the file/line noise of an SSLError's str()."""
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return str(exc.verify_message)
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.replace("_", " ").lower()
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.strerror)
    return type(exc).__name__


def classify(exc: BaseException, *, connect_timeout: float = 0.0) -> Fault:
    """The fault behind a failed TLS handshake (the TCP connection stood)."""
    detail = short_reason(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        if code in _UNKNOWN_CA:
            return Fault(FaultKind.TLS_UNKNOWN_CA, detail=detail)
        if code == _EXPIRED:
            return Fault(FaultKind.TLS_EXPIRED, detail=detail)
        if code == _NOT_YET_VALID:
            return Fault(FaultKind.TLS_NOT_YET_VALID, detail=detail)
        if code in _NAME_MISMATCH:
            return Fault(FaultKind.TLS_NAME_MISMATCH, detail=detail)
        return Fault(FaultKind.TLS_UNTRUSTED, detail=detail)
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ConnectionResetError | BrokenPipeError):
        return Fault(FaultKind.TLS_CLOSED, detail=detail)
    if isinstance(exc, TimeoutError):
        return Fault(FaultKind.TLS_TIMEOUT, seconds=connect_timeout, detail=detail)
    if isinstance(exc, ssl.SSLError):
        return classify_alert(exc) or Fault(FaultKind.TLS_FAILED, detail=detail)
    return Fault(FaultKind.TLS_FAILED, detail=detail)


def classify_alert(exc: ssl.SSLError) -> Fault | None:
    """A TLS error after (or during) the handshake that names its cause: no TLS at all, or the peer's alert.

    With TLS 1.3 a server that refuses our client certificate says so only after the client's handshake has
    finished: the alert arrives with the first read (the guard calls this then).
    """
    reason = str(getattr(exc, "reason", "") or "")
    if reason in _NOT_TLS_REASONS:
        return Fault(FaultKind.TLS_NOT_TLS, detail=short_reason(exc))
    if "ALERT" in reason:
        return Fault(FaultKind.TLS_PEER_REFUSED, detail=short_reason(exc))
    return None
