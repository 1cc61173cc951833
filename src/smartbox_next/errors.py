"""Exception tree of SmartBox Next.

Every error carries a message *key* (looked up in :mod:`smartbox_next.messages`),
its *params* and whether retrying can help (*retryable*). ``str(exc)`` is the
English text; ``exc.text("de")`` / ``exc.hint("de")`` give the operator's language.
The outbox never parses messages: it asks ``exc.retryable``.

::

    SmartboxError(Exception)          key, params, retryable
    ├── ConfigError
    ├── InputError                    the capture cannot become a valid object
    │   ├── MediaError                unreadable / corrupt file
    │   ├── UnsupportedMediaError     codec/profile/size not mappable, no transcode allowed
    │   └── AttributeValueError       VR violation (also a ValueError)
    ├── NetworkError                  retryable by default
    │   ├── ConnectError
    │   ├── AssociationRejectedError  retryable only when the rejection is transient
    │   ├── AssociationAbortedError
    │   ├── ResponseTimeoutError      (also a TimeoutError)
    │   ├── NoAcceptedContextError    not retryable
    │   └── WebServiceError           a DICOMweb origin server answered an HTTP failure (.http_status, .retry_after)
    ├── DimseError                    the peer answered a failure status (.status)
    │   ├── StoreError                retryable for A7xx only
    │   ├── WorklistError
    │   ├── MppsError                 N-CREATE / N-SET (PS3.4 F.7)
    │   └── CommitmentError           N-ACTION / N-EVENT-REPORT (PS3.4 J.3)
    └── OutboxError
        └── SpoolFullError
"""

from __future__ import annotations

from typing import Any, ClassVar


class SmartboxError(Exception):
    """Base of every error the product raises on purpose."""

    default_retryable: ClassVar[bool] = False

    def __init__(self, key: str, *, retryable: bool | None = None, **params: Any) -> None:
        self.key = key
        self.params: dict[str, Any] = params
        self.retryable = self.default_retryable if retryable is None else retryable
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (``"de"`` or ``"en"``)."""
        from smartbox_next.messages import render

        return render(self.key, lang, self.params)

    def hint(self, lang: str = "en") -> str:
        """What the operator should do, in ``lang``."""
        from smartbox_next.messages import render_hint

        return render_hint(self.key, lang, self.params)

    def __str__(self) -> str:
        return self.text("en")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes
        return (_rebuild, (type(self), self.key, self.retryable, self.params))


def _rebuild(cls: type[SmartboxError], key: str, retryable: bool, params: dict[str, Any]) -> SmartboxError:
    return cls(key, retryable=retryable, **params)


class ConfigError(SmartboxError):
    """The configuration (file, environment, command line) is not usable."""


class InputError(SmartboxError):
    """The capture cannot become a valid object."""


class MediaError(InputError):
    """The media file is unreadable, empty, truncated or corrupt."""


class UnsupportedMediaError(InputError):
    """Codec, profile or size cannot be mapped to a transfer syntax and no transcode is allowed."""


class AttributeValueError(InputError, ValueError):
    """A value violates its VR (PS3.5 Table 6.2-1): too long, bad characters, bad date."""


class NetworkError(SmartboxError):
    """Talking to a peer failed; retrying later may help."""

    default_retryable = True


class ConnectError(NetworkError):
    """TCP connection could not be made."""


class AssociationRejectedError(NetworkError):
    """A-ASSOCIATE-RJ (PS3.8 9.3.4): retryable only when transient."""

    default_retryable = False


class AssociationAbortedError(NetworkError):
    """A-ABORT or dropped connection (PS3.8 9.3.8)."""


class ResponseTimeoutError(NetworkError, TimeoutError):
    """No answer within the configured time."""


class NoAcceptedContextError(NetworkError):
    """The peer accepts no presentation context for this SOP class / transfer syntax."""

    default_retryable = False


class WebServiceError(NetworkError):
    """A DICOMweb origin server answered an HTTP failure (PS3.18 §8.5, Table 10.5.3-1): ``params['http_status']``.

    Retryable only when the status says so (408, 429, 5xx); ``retry_after`` is the server's ``Retry-After`` in
    seconds (RFC 9110 §10.2.3), which the retry policy waits at least.
    """

    default_retryable = False

    @property
    def http_status(self) -> int:
        return int(self.params.get("http_status", 0) or 0)

    @property
    def retry_after(self) -> float | None:
        value = self.params.get("retry_after")
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class DimseError(SmartboxError):
    """The peer answered a failure status (``params['status']``)."""

    @property
    def status(self) -> int:
        return int(self.params.get("status", 0))


class StoreError(DimseError):
    """C-STORE failed (PS3.4 B.2.3); retryable for A7xx (out of resources) only."""


class WorklistError(DimseError):
    """Modality Worklist C-FIND failed (PS3.4 K.4)."""


class OutboxError(SmartboxError):
    """The spool or outbox database cannot be used."""


class SpoolFullError(OutboxError):
    """Not enough free disk space for new captures."""


class MppsError(DimseError):
    """An MPPS N-CREATE or N-SET failed (PS3.4 F.7.2); retryable for transient statuses only."""


class CommitmentError(DimseError):
    """A Storage Commitment request failed (PS3.4 J.3.2); retryable for transient statuses only."""
