"""Re-encoding video for a PACS that accepts none of the object's own syntaxes (the sender's fallback).

The network layer plans and sends; it knows a :class:`~smartbox_next.net.fallback.VideoTranscoder` only as an
interface. This is the implementation, with the station's configuration (UID root, AE title, encoder settings,
``video.allow_downscale``) — so a re-encoded object is the hospital's own, never a default-configured one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from smartbox_next.config import Config
from smartbox_next.dicom.transfer_syntax import ALL_SYNTAXES, H264_HP41, MPEG2_MPHL, MPEG2_MPML


def reencode_targets(transfer_syntax: str) -> list[str]:
    """The video syntaxes a stream in ``transfer_syntax`` is re-encoded to for a receiver, best first: an H.264
    stream goes to MPEG-2 High Level, Main Level (720×576) as the last resort; MPEG-2 to H.264 HP@L4.1; HEVC never."""
    source = ALL_SYNTAXES.get(transfer_syntax)
    if source is None or source.codec == "hevc":
        return []
    return [MPEG2_MPHL.uid, MPEG2_MPML.uid] if source.codec == "h264" else [H264_HP41.uid]


class Reencoder:
    """MPEG-2 ↔ H.264 re-encoding with PyAV (:func:`smartbox_next.iod.video.transcode_for`) to
    :func:`reencode_targets`, with this station's configuration."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def targets(self, transfer_syntax: str) -> Sequence[str]:
        return reencode_targets(transfer_syntax)

    def transcode(self, path: Path, transfer_syntax: str, out_dir: Path) -> Path:
        from smartbox_next.iod.video import transcode_for  # PyAV only when a PACS needs a re-encode

        return transcode_for(path, transfer_syntax, out_dir, self.config)
