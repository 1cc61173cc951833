"""The SOP classes this product creates (PS3.4 Annex B; PS3.3 A.8, A.32) and their fixed properties."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SopKind(Enum):
    """What the object holds."""

    STILL = "still"
    VIDEO = "video"
    MULTIFRAME = "multiframe"


@dataclass(frozen=True)
class SopClass:
    """A storage SOP class we create: UID, CLI name, modality constraint and IOD section."""

    uid: str
    name: str
    cli_name: str
    kind: SopKind
    modality: str | None  # None = free (SC: Modality is Type 3 in SC Equipment)
    section: str
    vl: bool  # VL Image module present (PS3.3 C.8.12.1)


SC = SopClass("1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage", "sc",
              SopKind.STILL, None, "PS3.3 A.8.1", vl=False)
MF_TRUE_COLOR_SC = SopClass("1.2.840.10008.5.1.4.1.1.7.4", "Multi-frame True Color Secondary Capture Image Storage",
                            "mf-sc", SopKind.MULTIFRAME, None, "PS3.3 A.8.5", vl=False)
VL_ENDOSCOPIC = SopClass("1.2.840.10008.5.1.4.1.1.77.1.1", "VL Endoscopic Image Storage", "vl-endoscopic",
                         SopKind.STILL, "ES", "PS3.3 A.32.1", vl=True)
VL_PHOTOGRAPHIC = SopClass("1.2.840.10008.5.1.4.1.1.77.1.4", "VL Photographic Image Storage", "vl-photographic",
                           SopKind.STILL, "XC", "PS3.3 A.32.4", vl=True)
VIDEO_ENDOSCOPIC = SopClass("1.2.840.10008.5.1.4.1.1.77.1.1.1", "Video Endoscopic Image Storage",
                            "video-endoscopic", SopKind.VIDEO, "ES", "PS3.3 A.32.5", vl=True)
VIDEO_MICROSCOPIC = SopClass("1.2.840.10008.5.1.4.1.1.77.1.2.1", "Video Microscopic Image Storage",
                             "video-microscopic", SopKind.VIDEO, "GM", "PS3.3 A.32.6", vl=True)
VIDEO_PHOTOGRAPHIC = SopClass("1.2.840.10008.5.1.4.1.1.77.1.4.1", "Video Photographic Image Storage",
                              "video-photographic", SopKind.VIDEO, "XC", "PS3.3 A.32.7", vl=True)

ALL: tuple[SopClass, ...] = (SC, MF_TRUE_COLOR_SC, VL_ENDOSCOPIC, VL_PHOTOGRAPHIC,
                             VIDEO_ENDOSCOPIC, VIDEO_MICROSCOPIC, VIDEO_PHOTOGRAPHIC)
BY_CLI_NAME = {s.cli_name: s for s in ALL}
BY_UID = {s.uid: s for s in ALL}

VERIFICATION = "1.2.840.10008.1.1"
MODALITY_WORKLIST_FIND = "1.2.840.10008.5.1.4.31"
MODALITY_PERFORMED_PROCEDURE_STEP = "1.2.840.10008.3.1.2.3.3"  # PS3.4 F.7
