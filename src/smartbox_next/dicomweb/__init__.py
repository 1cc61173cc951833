"""DICOMweb user agent (PS3.18): STOW-RS streamed from disk, its response module, QIDO-RS checks; over httpx.

- :mod:`.multipart` — the ``multipart/related; type="application/dicom"`` body as segments of known length,
  streamed from the files in bounded blocks (PS3.18 §8.6.1.2, §10.5.1).
- :mod:`.response` — THE translation of HTTP statuses (Table 10.5.3-1, §8.5) and of the Store Instances
  Response Module (Annex I: Referenced / Failed SOP Sequence, Warning / Failure Reason) into outcomes and
  project errors.
- :mod:`.client` — one HTTP connection per destination (httpx): authentication, TLS trust, timeouts,
  ``Retry-After``, transport failures as project errors.
- :mod:`.store` — a batch of files over STOW-RS: requests planned (several small objects, large ones alone),
  per-instance results, a request-level failure of several objects re-sent one by one.
- :mod:`.query` — QIDO-RS: is the service there and are we allowed in (echo), is an instance stored (verify).

Knows nothing of DIMSE (``net``) or of the outbox: what it needs comes in as a
:class:`~smartbox_next.dicom.webpeer.WebPeer` and :class:`~.client.WebSettings`.
"""
