"""The names of the station's destinations, without building them (no network or DICOM library loaded).

``export`` queues for these names and ``queue`` shows them; :func:`smartbox_next.delivery.destination.destinations`
builds the destinations themselves (DIMSE, DICOMweb, folder) for the sending service.
"""

from __future__ import annotations

from pathlib import Path

from smartbox_next.config import Config

FOLDER_DESTINATION = "folder"


def folder_of(config: Config) -> Path | None:
    """The folder destination (a file-share copy), if set and enabled."""
    if config.outbox.folder and config.outbox.folder_enabled:
        return Path(config.outbox.folder).expanduser()
    return None


def destination_names(config: Config) -> list[str]:
    """The storage peers (DIMSE first, then DICOMweb, in file order) and the folder, if set and enabled."""
    names = [*config.storage_peers(), *config.storage_web_peers()]
    return [*names, FOLDER_DESTINATION] if folder_of(config) is not None else names
