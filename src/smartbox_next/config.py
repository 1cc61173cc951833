"""Configuration: a TOML file plus ``SMARTBOX_<SECTION>_<KEY>`` environment overrides -> frozen dataclasses.

Every section is a frozen dataclass; every field has a default, so the product runs with no file at all.
A bad value raises :class:`ConfigError` naming the setting (``section.key``) and the expected form.
Peers are written ``AET@host:port`` (``[peers] pacs = "PACS@10.0.0.5:104"``) or as a table
(``[peers.pacs] address = "…", tls = true, enabled = true, roles = ["storage", "commitment"]``);
``SMARTBOX_PEERS_<NAME>=AET@host:port``. Roles (:class:`~smartbox_next.dicom.peer.PeerRole`) say what a peer is
for; only ``storage`` peers receive C-STOREs. A peer written without ``roles`` (every configuration from before
roles existed) gets the legacy rule: the peer named by ``worklist.peer`` is the worklist SCP only, every other
one a storage destination.
A peer with ``url = "https://…/dicom-web"`` instead of ``address`` (or a string starting with ``http://`` /
``https://``) is a DICOMweb service (:class:`~smartbox_next.dicom.webpeer.WebPeer`, ``Config.web_peers``): a
STOW-RS destination with authentication none / basic / bearer, its secret named by ``password_env`` /
``password_file`` / ``token_env`` / ``token_file`` and read only when a request needs it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from smartbox_next import __version__
from smartbox_next.dicom.peer import PEER_FORM, Peer, PeerRole, check_ae_title, check_tls_name, sorted_roles
from smartbox_next.dicom.webpeer import (
    WebPeer,
    is_url,
    secret_env_names,
    web_peer_as_dict,
    web_peer_from_table,
    web_peer_keys,
)
from smartbox_next.errors import ConfigError
from smartbox_next.messages import Bilingual, os_reason, printable

ENV_PREFIX = "SMARTBOX_"
CONFIG_ENV = "SMARTBOX_CONFIG"
MAX_RECEIVE_PDU = 16 * 1024 * 1024
"""The largest PDU the station reads (bytes): a PDU is held in memory whole, so ``network.max_pdu`` ≤ this."""

Check = Callable[[Any, str], Any]
ROLE_NAMES = tuple(r.value for r in PeerRole)


def _choice(*allowed: Any) -> Check:
    def check(value: Any, setting: str) -> Any:
        if value not in allowed:
            raise ConfigError("config.invalid_value", setting=setting, value=value, expected=" | ".join(allowed))
        return value

    return check


def _range(lo: float, hi: float) -> Check:
    def check(value: Any, setting: str) -> Any:
        if not lo <= value <= hi:
            raise ConfigError("config.invalid_value", setting=setting, value=value, expected=f"{lo} … {hi}")
        return value

    return check


def _max_len(n: int) -> Check:
    def check(value: Any, setting: str) -> Any:
        if len(value) > n or any(c in value for c in "\\\r\n"):
            raise ConfigError(
                "config.invalid_value", setting=setting, value=value,
                expected=Bilingual(f"at most {n} characters, no backslash or line break",
                                   f"höchstens {n} Zeichen, ohne Backslash oder Zeilenumbruch"),
            )
        return value

    return check


def _uid_root(value: Any, setting: str) -> Any:
    from smartbox_next.dicom.uid import MAX_ROOT_LENGTH, check_root

    try:
        check_root(value)
    except ConfigError:
        raise ConfigError(
            "config.invalid_value", setting=setting, value=value,
            expected=Bilingual(
                f"empty or an organisation root: digits and dots, no leading zeros, at most {MAX_ROOT_LENGTH} "
                "characters",
                f"leer oder ein Organisations-Stamm: Ziffern und Punkte, ohne führende Nullen, höchstens "
                f"{MAX_ROOT_LENGTH} Zeichen"),
        ) from None
    return value


REGION_FORM = Bilingual("a region name (colon, upper-gi, bronchus, bladder, …) or a code SCHEME:VALUE:Meaning",
                        "ein Regionsname (colon, upper-gi, bronchus, bladder, …) oder ein Code SCHEMA:WERT:Bedeutung")


def _region(value: Any, setting: str) -> Any:
    from smartbox_next.dicom.anatomy import parse_region
    from smartbox_next.errors import InputError

    if value == "":
        return value
    try:
        parse_region(str(value))
    except InputError:
        raise ConfigError("config.invalid_value", setting=setting, value=value, expected=REGION_FORM) from None
    return value


def _charset(value: Any, setting: str) -> Any:
    from smartbox_next.dicom.charset import check_character_set

    return check_character_set(value, setting)


def _language(value: Any, setting: str) -> Any:
    if value not in ("", "de", "en"):
        raise ConfigError("config.invalid_value", setting=setting, value=value,
                          expected=Bilingual('de | en, or "" for the system locale',
                                             'de | en oder "" für die Sprache des Systems'))
    return value


def _doc(text: str, check: Check | None = None) -> dict[str, Any]:
    return {"doc": text, "check": check}


@dataclass(frozen=True)
class StationConfig:
    """This capture station (local AE)."""

    ae_title: str = field(default="SMARTBOX", metadata=_doc("Own AE title (1-16 characters).", check_ae_title))
    station_name: str = field(default="", metadata=_doc(
        "Station Name (0008,1010), SH; empty = the AE title.", _max_len(16)))
    institution_name: str = field(default="", metadata=_doc("Institution Name (0008,0080), LO.", _max_len(64)))
    institution_department: str = field(
        default="", metadata=_doc("Institutional Department Name (0008,1040), LO.", _max_len(64))
    )
    language: str = field(default="", metadata=_doc(
        "Operator language: de | en; empty = the system locale (LC_ALL, LC_MESSAGES, LANG), else English.",
        _language))
    data_dir: Path = field(
        default=Path("~/.local/share/smartbox-next"),
        metadata=_doc("Where spool, outbox and worklist cache live."),
    )

    @property
    def name(self) -> str:
        """Station Name (0008,1010) as written: ``station_name``, else the AE title (PS3.3 C.7.5.1)."""
        return self.station_name or self.ae_title


@dataclass(frozen=True)
class DeviceConfig:
    """General Equipment module values (PS3.3 C.7.5.1)."""

    manufacturer: str = field(default="SmartBox", metadata=_doc("Manufacturer (0008,0070).", _max_len(64)))
    model_name: str = field(
        default="SmartBox Next", metadata=_doc("Manufacturer's Model Name (0008,1090).", _max_len(64))
    )
    device_serial_number: str = field(
        default="", metadata=_doc("Device Serial Number (0018,1000).", _max_len(64))
    )
    software_versions: str = field(
        default=__version__, metadata=_doc("Software Versions (0018,1020).", _max_len(64))
    )


@dataclass(frozen=True)
class UidConfig:
    """UID generation (PS3.5 §9, Annex B)."""

    root: str = field(
        default="", metadata=_doc("Registered organisation root; empty = 2.25.<UUID>.", _uid_root)
    )


@dataclass(frozen=True)
class ObjectsConfig:
    """How captures become objects."""

    sop: str = field(
        default="sc",
        metadata=_doc("Still SOP class: sc | vl-endoscopic | vl-photographic.",
                      _choice("sc", "vl-endoscopic", "vl-photographic")),
    )
    still_encoding: str = field(
        default="jpeg",
        metadata=_doc("When a still must be decoded: re-encode as baseline jpeg, or uncompressed.",
                      _choice("jpeg", "uncompressed")),
    )
    jpeg_quality: int = field(default=92, metadata=_doc("JPEG quality for re-encoding (50-100).", _range(50, 100)))
    character_set: str = field(
        default="ISO_IR 100",
        metadata=_doc("Specific Character Set: ISO_IR 100 (Latin-1, switches to ISO_IR 192 when needed) "
                      "or ISO_IR 192 (UTF-8).", _choice("ISO_IR 100", "ISO_IR 192")),
    )
    conversion_type: str = field(
        default="DV",
        metadata=_doc("SC Conversion Type (0008,0064) for grabbed frames: DV (digitized video) | "
                      "DI (digital interface) | WSD (workstation).", _choice("DV", "DI", "WSD", "SD", "SI")),
    )
    emergency_prefix: str = field(
        default="EMERG", metadata=_doc("Prefix of generated emergency patient IDs.", _max_len(24))
    )
    modality: str = field(
        default="ES", metadata=_doc("Modality of the originating exam, written into SC objects.", _max_len(16))
    )
    anatomic_region: str = field(
        default="", metadata=_doc(
            "Station default Anatomic Region (PS3.3 C.8.12.1), used only when neither the operator nor the "
            "worklist entry names one: a name (colon, upper-gi, bronchus, bladder, …) or SCHEME:VALUE:Meaning; "
            "empty = none (a video object is then refused until the region is chosen).", _region))


@dataclass(frozen=True)
class NetworkConfig:
    """Association and DIMSE timeouts (seconds) and PDU size; defaults suit multi-GB video on slow links."""

    connect_timeout: float = field(default=10.0, metadata=_doc("TCP connect timeout.", _range(0.1, 3600)))
    acse_timeout: float = field(default=30.0, metadata=_doc("Association request/release timeout.",
                                                             _range(0.1, 3600)))
    dimse_timeout: float = field(default=600.0, metadata=_doc("Wait for a DIMSE response.", _range(0.1, 86400)))
    network_timeout: float = field(default=600.0, metadata=_doc("Idle network timeout.", _range(0.1, 86400)))
    max_pdu: int = field(default=131072, metadata=_doc(
        "Maximum PDU we receive, announced to the peer; a longer PDU aborts the association (0 = no limit "
        "announced, PDUs over 16 MiB are refused all the same).", _range(0, MAX_RECEIVE_PDU)))
    tls_certificate: str = field(default="", metadata=_doc("PEM certificate for DICOM TLS."))
    tls_private_key: str = field(default="", metadata=_doc("PEM private key for DICOM TLS."))
    tls_ca_certificates: str = field(default="", metadata=_doc(
        "PEM CA bundle to verify TLS peers (required for a peer with tls = true, unless tls_system_ca)."))
    tls_system_ca: bool = field(default=False, metadata=_doc(
        "Also trust the operating system's CA store for TLS peers (off: only tls_ca_certificates)."))


@dataclass(frozen=True)
class RetryConfig:
    """Exponential backoff with jitter for retryable failures."""

    max_attempts: int = field(default=20, metadata=_doc("Attempts before a job is failed.", _range(1, 10_000)))
    initial_delay: float = field(default=5.0, metadata=_doc("First delay (s).", _range(0, 86400)))
    max_delay: float = field(default=900.0, metadata=_doc("Cap of one delay (s).", _range(0, 86400)))
    max_total: float = field(default=7 * 86400.0, metadata=_doc("Give up after this long (s).",
                                                                 _range(0, 365 * 86400)))
    jitter: float = field(default=0.2, metadata=_doc("Random share added to or taken from a delay.",
                                                     _range(0, 1)))


@dataclass(frozen=True)
class WorklistConfig:
    """Modality Worklist query defaults."""

    peer: str = field(default="", metadata=_doc("Worklist SCP: a peer name or AET@host:port; empty = the one peer "
                                                "with role worklist, if any."))
    modality: str = field(default="ES", metadata=_doc("Modality matching key.", _max_len(16)))
    station_ae_title: str = field(default="", metadata=_doc("Scheduled Station AE Title; empty = own AE."))
    fallback_character_set: str = field(
        default="ISO_IR 100", metadata=_doc("Decode answers without Specific Character Set as this.", _charset)
    )
    query_character_set: str = field(
        default="ISO_IR 100",
        metadata=_doc("Specific Character Set of queries with non-ASCII values (ISO_IR 192 when it cannot "
                      "encode them).", _charset),
    )
    name_match: str = field(
        default="local",
        metadata=_doc("Patient name wildcards: local = send the ASCII prefix and match the full pattern here "
                      "(works whatever the RIS character set) | scp = send the whole pattern.",
                      _choice("local", "scp")),
    )
    max_results: int = field(default=500, metadata=_doc("Answers kept per query; more -> C-CANCEL.",
                                                        _range(1, 100_000)))
    timeout: float = field(default=20.0, metadata=_doc("Wait for each worklist answer (s).", _range(0.1, 3600)))


@dataclass(frozen=True)
class VideoConfig:
    """Video and multi-frame objects (PS3.5 §8.2.5–8.2.11; PS3.3 A.32.5–A.32.7, A.8.5)."""

    transcode_target: str = field(
        default="h264", metadata=_doc("Re-encode non-conformant video as h264 (HP@L4.1, MP4) or mpeg2 (MPEG-TS).",
                                      _choice("h264", "mpeg2")))
    allow_transcode: bool = field(default=True, metadata=_doc("Re-encode video no transfer syntax fits; "
                                                                "false = refuse such files."))
    allow_downscale: bool = field(default=True, metadata=_doc(
        "When a PACS accepts a video only as MPEG-2 Main Level, send it re-encoded at 720x576 (marked DERIVED); "
        "false = refuse to send it there with a message."))
    long_video_mode: str = field(
        default="split", metadata=_doc("Stream larger than one fragment: split (several playable objects) | "
                                       "fragmentable (one object, fragmentable transfer syntax).",
                                       _choice("split", "fragmentable")))
    max_fragment_bytes: int = field(
        default=2**32 - 2, metadata=_doc("Largest fragment / non-fragmentable stream (bytes; lower only for tests).",
                                         _range(4096, 2**32 - 2)))
    h264_preset: str = field(default="veryfast", metadata=_doc("x264 preset for transcoding.",
                                                                 _choice("ultrafast", "superfast", "veryfast",
                                                                         "faster", "fast", "medium", "slow")))
    h264_crf: int = field(default=20, metadata=_doc("x264 constant rate factor (quality, 0-51).", _range(0, 51)))
    mpeg2_bit_rate: int = field(default=8_000_000, metadata=_doc("MPEG-2 video bit rate (bit/s).",
                                                                 _range(1_000_000, 60_000_000)))
    multiframe_encoding: str = field(
        default="jpeg", metadata=_doc("Multi-frame SC frames: jpeg (baseline, one per fragment) | uncompressed.",
                                      _choice("jpeg", "uncompressed")))


@dataclass(frozen=True)
class OutboxConfig:
    """Store-and-forward: spool, destinations, retention, disk guard."""

    folder: str = field(default="", metadata=_doc("A folder destination (file-share copy); empty = none."))
    folder_enabled: bool = field(default=True, metadata=_doc("Whether the folder destination is used."))
    retention_days: float = field(default=0.0, metadata=_doc(
        "Keep spool files this many days after every destination has them.", _range(0, 3650)))
    min_free_mb: int = field(default=500, metadata=_doc(
        "Refuse new captures when less disk space than this would remain (MB).", _range(0, 10_000_000)))
    batch_size: int = field(default=32, metadata=_doc("Objects per association of a sender worker.",
                                                      _range(1, 10_000)))


def _bind(value: Any, setting: str) -> Any:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ConfigError("config.invalid_value", setting=setting, value=value,
                          expected=Bilingual("an IP address (127.0.0.1, 0.0.0.0, ::1 …)",
                                             "eine IP-Adresse (127.0.0.1, 0.0.0.0, ::1 …)")) from None
    return value


def _seconds_list(value: Any, setting: str) -> Any:
    try:
        parts = [int(p) for p in str(value).split(",")]
    except ValueError:
        parts = []
    if not parts or any(not 0 <= p <= 300 for p in parts):
        raise ConfigError("config.invalid_value", setting=setting, value=value,
                          expected=Bilingual("whole seconds 0 … 300, comma-separated (e.g. 0,10,30,60)",
                                             "ganze Sekunden 0 … 300, durch Kommas getrennt (z. B. 0,10,30,60)"))
    return value


@dataclass(frozen=True)
class WebConfig:
    """The station's web server (``smartbox station``): local by default, remote only with a password."""

    bind: str = field(default="127.0.0.1", metadata=_doc(
        "Address the station listens on; anything but a loopback address needs web.password_hash.", _bind))
    port: int = field(default=8080, metadata=_doc("TCP port of the station UI and API (0 = any free port).",
                                                  _range(0, 65535)))
    password_hash: str = field(default="", metadata=_doc(
        "Hash of the station password (scrypt; make it with 'smartbox station --hash-password'); empty = no "
        "login, allowed on a loopback address only."))
    session_hours: float = field(default=12.0, metadata=_doc("How long a login lasts (hours).", _range(0.1, 720)))
    allowed_hosts: str = field(default="", metadata=_doc(
        "Further host names the browser may use (comma-separated; the bind address, localhost and 127.0.0.1 "
        "always work)."))
    tls_certificate: str = field(default="", metadata=_doc("PEM certificate: serve HTTPS (with tls_private_key)."))
    tls_private_key: str = field(default="", metadata=_doc("PEM private key of tls_certificate."))


@dataclass(frozen=True)
class LiveConfig:
    """Live capture at the station: the source, the recording and pre-record."""

    source: str = field(default="testpattern", metadata=_doc(
        "testpattern | file:PATH (played in a loop) | v4l2:/dev/videoN."))
    width: int = field(default=1280, metadata=_doc("Picture width asked of the source (even).", _range(64, 4096)))
    height: int = field(default=720, metadata=_doc("Picture height asked of the source (even).", _range(64, 4096)))
    frame_rate: float = field(default=25.0, metadata=_doc("Frames per second asked of the source.", _range(1, 120)))
    v4l2_format: str = field(default="", metadata=_doc(
        "V4L2 pixel format: empty = the driver's default | mjpeg | yuyv422.", _choice("", "mjpeg", "yuyv422")))
    codec: str = field(default="h264", metadata=_doc(
        "Recording codec: h264 (High Profile, Level 4.1, MP4) | mpeg2 (Main Profile, MPEG-TS).",
        _choice("h264", "mpeg2")))
    preset: str = field(default="superfast", metadata=_doc(
        "x264 preset of the real-time encoder.", _choice("ultrafast", "superfast", "veryfast", "faster", "fast")))
    crf: int = field(default=23, metadata=_doc("x264 constant rate factor of recordings (0-51).", _range(0, 51)))
    max_kbit: int = field(default=20000, metadata=_doc("Bit-rate cap of recordings (kbit/s).", _range(500, 50000)))
    pre_record_s: int = field(default=10, metadata=_doc(
        "Pre-record preset when the exam opens (seconds before the press; one of pre_record_choices).",
        _range(0, 300)))
    pre_record_choices: str = field(default="0,10,30,60", metadata=_doc(
        "The pre-record buttons of the exam screen: seconds, comma-separated (0 = off).", _seconds_list))
    pre_record_max_s: int = field(default=60, metadata=_doc(
        "Longest pre-record kept in the ring buffer (s); 0 = no pre-record, encoder only while recording.",
        _range(0, 300)))
    preview_width: int = field(default=960, metadata=_doc("Width of the live preview (pixels).", _range(160, 1920)))
    undo_s: float = field(default=8.0, metadata=_doc("How long a deleted capture can be restored (s).",
                                                     _range(1, 600)))


@dataclass(frozen=True)
class MppsConfig:
    """Modality Performed Procedure Step SCU (PS3.4 F.7): what the station reports to peers with role mpps."""

    performed_location: str = field(default="", metadata=_doc("Performed Location (0040,0243), LO; empty = not "
                                                               "reported (Type 2).", _max_len(64)))
    protocol_name: str = field(
        default="SmartBox capture",
        metadata=_doc("Protocol Name (0018,1030) of each performed series when the worklist names no protocol "
                      "(its protocol code meaning or step description wins), LO.", _max_len(64)))


@dataclass(frozen=True)
class CommitmentConfig:
    """Storage Commitment Push Model SCU (PS3.4 J.3) at storage peers that also have role commitment."""

    window_hours: float = field(default=24.0, metadata=_doc(
        "An object not committed this many hours after its first request is 'commitment overdue'.",
        _range(0.001, 24 * 365)))
    report_timeout: float = field(default=3600.0, metadata=_doc(
        "No report this many seconds after a request: ask again with a new Transaction UID.", _range(1, 7 * 86400)))
    wait_on_association: float = field(default=10.0, metadata=_doc(
        "Keep the request's association open this long for a report on it (the other way is the listener).",
        _range(0, 3600)))
    max_resends: int = field(default=3, metadata=_doc(
        "An object the archive reports as not committed is sent again (C-STORE) at most this many times.",
        _range(0, 100)))
    batch_size: int = field(default=500, metadata=_doc("Objects per commitment request (N-ACTION).",
                                                       _range(1, 10_000)))


@dataclass(frozen=True)
class ListenerConfig:
    """The station's own SCP while ``smartbox serve`` or ``smartbox station`` runs: Storage Commitment reports
    (N-EVENT-REPORT on a new association, PS3.4 J.3.3) and C-ECHO, from peers with role commitment only."""

    port: int = field(default=0, metadata=_doc("TCP port to listen on; 0 = no listener (reports then only arrive "
                                               "on the request's own association).", _range(0, 65535)))
    host: str = field(default="0.0.0.0", metadata=_doc("Address to listen on (0.0.0.0 = every interface)."))
    ae_title: str = field(default="", metadata=_doc("AE title of the listener; empty = station.ae_title (the AE "
                                                    "title the archive knows this station by).",
                                                    lambda v, s: check_ae_title(v, s) if v else v))


@dataclass(frozen=True)
class DicomwebConfig:
    """DICOMweb destinations (STOW-RS, PS3.18 §10.5; QIDO-RS, §10.6): request grouping and waits."""

    objects_per_request: int = field(default=16, metadata=_doc(
        "Small objects sent together in one STOW-RS request.", _range(1, 1000)))
    request_mb: int = field(default=32, metadata=_doc(
        "Small objects share a request up to this many MB; an object at least this large goes alone.",
        _range(1, 1_000_000)))
    response_timeout: float = field(default=600.0, metadata=_doc(
        "Wait for the server's answer once a request is sent (s); it may be storing gigabytes.", _range(0.1, 86400)))
    verify_timeout: float = field(default=30.0, metadata=_doc(
        "How long a stored instance may take to appear in QIDO-RS for a peer with verify_stored (s).",
        _range(0, 3600)))


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    station: StationConfig = StationConfig()
    device: DeviceConfig = DeviceConfig()
    uid: UidConfig = UidConfig()
    objects: ObjectsConfig = ObjectsConfig()
    network: NetworkConfig = NetworkConfig()
    retry: RetryConfig = RetryConfig()
    worklist: WorklistConfig = WorklistConfig()
    video: VideoConfig = VideoConfig()
    outbox: OutboxConfig = OutboxConfig()
    mpps: MppsConfig = MppsConfig()
    commitment: CommitmentConfig = CommitmentConfig()
    listener: ListenerConfig = ListenerConfig()
    web: WebConfig = WebConfig()
    live: LiveConfig = LiveConfig()
    dicomweb: DicomwebConfig = DicomwebConfig()
    peers: Mapping[str, Peer] = field(default_factory=dict)
    procedure_regions: Mapping[str, str] = field(default_factory=dict)
    """``[procedure_regions]``: the site's additions to the built-in procedure → anatomic region table
    (:mod:`smartbox_next.worklist.regions`): key = a procedure code ``SCHEME:VALUE`` or a word of the procedure
    description, value = a region name or ``SCHEME:VALUE:Meaning``."""
    web_peers: Mapping[str, WebPeer] = field(default_factory=dict)  # DICOMweb services ([peers.NAME] url = …)

    def peer(self, name_or_address: str, *, option: str | None = None, setting: str = "peer") -> Peer:
        """A configured DIMSE peer by name, or a literal ``AET@host:port``; a malformed literal is named as the
        command-line ``option`` it came from, else as the ``setting``."""
        if name_or_address in self.peers:
            return self.peers[name_or_address]
        if name_or_address in self.web_peers or is_url(name_or_address):
            raise ConfigError("config.peer_is_web", name=name_or_address)
        if "@" in name_or_address:
            try:
                return Peer.parse(name_or_address, setting=option or setting)
            except ConfigError as exc:
                raise located(exc, option=option) if option else exc from None
        raise ConfigError("config.unknown_peer", name=name_or_address)

    def destination(self, name_or_address: str, *, option: str | None = None) -> Peer | WebPeer:
        """Where ``send``/``echo`` go: a configured peer of either kind by name, ``AET@host:port`` or a URL; a
        malformed literal is named as the command-line ``option`` it came from."""
        if name_or_address in self.web_peers:
            return self.web_peers[name_or_address]
        if is_url(name_or_address):
            return WebPeer.parse(name_or_address, setting=option or "--to")
        return self.peer(name_or_address, option=option)

    def storage_web_peers(self) -> dict[str, WebPeer]:
        """The DICOMweb services with role ``storage``, by name: STOW-RS destinations of the outbox."""
        return {name: p for name, p in self.web_peers.items() if PeerRole.STORAGE in p.roles}

    def storage_peers(self) -> dict[str, Peer]:
        """The peers with role ``storage``, by name: the PACS destinations of the outbox."""
        return {name: p for name, p in self.peers.items() if PeerRole.STORAGE in p.roles}

    def mpps_peers(self) -> dict[str, Peer]:
        """The peers with role ``mpps``, by name: each exam is reported to every one (PS3.4 F.7)."""
        return {name: p for name, p in self.peers.items() if PeerRole.MPPS in p.roles}

    def commitment_peers(self) -> dict[str, Peer]:
        """The storage peers that also have role ``commitment``: their objects are committed there (PS3.4 J.3)."""
        return {name: p for name, p in self.storage_peers().items() if PeerRole.COMMITMENT in p.roles}

    def worklist_source(self) -> str:
        """The worklist SCP to ask: ``worklist.peer`` (a peer name or AET@host:port), else the name of the one
        peer with role ``worklist``, else ``""`` (none configured).

        Raises ConfigError when ``worklist.peer`` names a peer without role ``worklist``, or when it is empty
        and several peers have that role.
        """
        spec = self.worklist.peer
        if spec:
            if spec in self.web_peers:
                raise ConfigError("config.peer_is_web", name=spec)
            named = self.peers.get(spec)
            if named is not None and PeerRole.WORKLIST not in named.roles:
                raise ConfigError("config.worklist_peer_role", peer=spec, roles=_roles_text(named.roles))
            return spec
        candidates = [name for name, p in self.peers.items() if PeerRole.WORKLIST in p.roles]
        if len(candidates) > 1:
            raise ConfigError("config.worklist_ambiguous", peers=", ".join(candidates))
        return candidates[0] if candidates else ""

    @property
    def data_dir(self) -> Path:
        return self.station.data_dir.expanduser()


SECTIONS: dict[str, type[Any]] = {
    "station": StationConfig,
    "device": DeviceConfig,
    "uid": UidConfig,
    "objects": ObjectsConfig,
    "network": NetworkConfig,
    "retry": RetryConfig,
    "worklist": WorklistConfig,
    "video": VideoConfig,
    "outbox": OutboxConfig,
    "mpps": MppsConfig,
    "commitment": CommitmentConfig,
    "listener": ListenerConfig,
    "web": WebConfig,
    "live": LiveConfig,
    "dicomweb": DicomwebConfig,
}

_KINDS = {
    "bool": Bilingual("true or false", "true oder false"),
    "int": Bilingual("a whole number", "eine ganze Zahl"),
    "float": Bilingual("a number", "eine Zahl"),
    "Path": Bilingual("a path", "ein Pfad"),
    "str": Bilingual("text", "Text"),
}
_ENVIRONMENT = Bilingual("the environment", "der Umgebung")
# SMARTBOX_* variables of the scripts in scripts/, not settings.
_NOT_SETTINGS = (CONFIG_ENV, "SMARTBOX_SKIP_INSTALL", "SMARTBOX_TEST_")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(raw: Any, kind: Any, setting: str) -> Any:
    kind_name = kind if isinstance(kind, str) else kind.__name__
    try:
        if kind_name == "bool":
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in _TRUE | _FALSE:
                return str(raw).lower() in _TRUE
            raise ValueError(raw)
        if kind_name == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(raw)
            return int(raw)
        if kind_name == "float":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        if kind_name == "Path":
            if not isinstance(raw, str | Path):
                raise ValueError(raw)
            return Path(raw)
        if not isinstance(raw, str):
            raise ValueError(raw)
        return raw
    except (ValueError, OverflowError):
        raise ConfigError("config.invalid_value", setting=setting, value=raw,
                          expected=_KINDS.get(kind_name, kind_name)) from None


_REGION_MOVED = Bilingual(
    "the anatomic region comes from --anatomic-region, the worklist entry ([procedure_regions]) or the station "
    "default objects.anatomic_region (never from a built-in default).",
    "die anatomische Region kommt aus --anatomic-region, dem Worklist-Eintrag ([procedure_regions]) oder dem "
    "Stationsstandard objects.anatomic_region (nie aus einem eingebauten Standardwert).")
MOVED_SETTINGS: dict[str, Bilingual] = {
    "video.anatomic_region_endoscopic": _REGION_MOVED,
    "video.anatomic_region_microscopic": _REGION_MOVED,
    "video.anatomic_region_photographic": _REGION_MOVED,
}
"""Settings of earlier versions that were replaced: named in the error, so a site's old file is not silently
misread (issue 11: the region default was a colon code on every video)."""


def _moved(setting: str, source: Bilingual) -> None:
    if setting in MOVED_SETTINGS:
        raise ConfigError("config.setting_moved", setting=setting, replacement=MOVED_SETTINGS[setting],
                          source=source)


def _file_source(path: Path | None) -> Bilingual:
    if path is None:
        return Bilingual("the configuration file", "der Konfigurationsdatei")
    return Bilingual(f"the configuration file {printable(str(path))}",
                     f"der Konfigurationsdatei {printable(str(path))}")


def located(exc: ConfigError, *, variable: str | None = None, path: Path | None = None,
            option: str | None = None) -> ConfigError:
    """``exc`` (a bad value) reworded to name where the value came from: the environment variable ``variable``,
    the command-line option ``option``, or the configuration file ``path``; other errors unchanged."""
    if exc.key != "config.invalid_value":
        return exc
    params = {k: v for k, v in exc.params.items() if k != "key"}
    if option is not None:
        return ConfigError("config.invalid_option", option=option, **params)
    if variable is not None:
        return ConfigError("config.invalid_env", variable=variable, **params)
    return ConfigError("config.invalid_in_file", source=_file_source(path), **params)


def _build_section(name: str, cls: type[Any], table: Mapping[str, Any], env: Mapping[str, str],
                   path: Path | None) -> Any:
    known = {f.name for f in fields(cls)}
    for key in table:
        _moved(f"{name}.{key}", _file_source(path))
        if key not in known:
            raise ConfigError("config.unknown_setting", setting=f"{name}.{key}", source=_file_source(path))
    values: dict[str, Any] = {}
    for f in fields(cls):
        setting = f"{name}.{f.name}"
        env_key = f"{ENV_PREFIX}{name}_{f.name}".upper()
        if env_key in env:
            raw: Any = env[env_key]
        elif f.name in table:
            raw = table[f.name]
        else:
            continue
        try:
            value = _coerce(raw, f.type, setting)
            check = f.metadata.get("check")
            if check is not None:
                value = check(value, setting)
        except ConfigError as exc:
            raise located(exc, variable=env_key if env_key in env else None, path=path) from None
        values[f.name] = value
    return cls(**values)


ROLES_FORM = Bilingual(
    "a list of roles out of " + ", ".join(ROLE_NAMES) + ', e.g. ["storage", "commitment"]',
    "eine Liste von Rollen aus " + ", ".join(ROLE_NAMES) + ', z. B. ["storage", "commitment"]')
_NO_ROLES = Bilingual("none", "keine")


def _roles_text(roles: frozenset[PeerRole]) -> str | Bilingual:
    return ", ".join(sorted_roles(roles)) if roles else _NO_ROLES


def _roles(raw: Any, setting: str) -> frozenset[PeerRole]:
    """``roles = ["storage", …]`` of a peer table; an unknown role is refused, naming it."""
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        written = f'"{raw}"' if isinstance(raw, str) else raw  # as in TOML: a string is not a list
        raise ConfigError("config.invalid_value", setting=setting, value=written, expected=ROLES_FORM)
    for role in raw:
        if role not in ROLE_NAMES:
            raise ConfigError("config.unknown_role", setting=setting, role=role, allowed=", ".join(ROLE_NAMES))
    return frozenset(PeerRole(r) for r in raw)


def legacy_roles(name: str, worklist_peer: str) -> frozenset[PeerRole]:
    """Roles of a peer written without ``roles``: the one named by ``worklist.peer`` is the worklist SCP only,
    every other peer a storage destination (the rule of configurations from before roles existed)."""
    return frozenset({PeerRole.WORKLIST}) if name == worklist_peer else frozenset({PeerRole.STORAGE})


@dataclass(frozen=True)
class _PeerSpec:
    """A peer as written, before its roles are settled (``roles`` None: not written -> :func:`legacy_roles`).

    ``web`` holds the table of a DICOMweb peer (``url`` instead of ``address``; the address is the URL)."""

    address: str
    setting: str
    tls: bool
    roles: frozenset[PeerRole] | None
    web: Mapping[str, Any] | None = None
    tls_name: str = ""


def _peers(table: Mapping[str, Any], env: Mapping[str, str], worklist_peer: str,
           path: Path | None) -> tuple[dict[str, Peer], dict[str, WebPeer]]:
    specs: dict[str, _PeerSpec] = {}
    try:
        for name, spec in table.items():
            setting = f"peers.{name}"
            if isinstance(spec, str):
                specs[name] = _PeerSpec(spec, setting, tls=False, roles=None, web={} if is_url(spec) else None)
            elif isinstance(spec, Mapping) and "url" in spec:
                unknown = set(spec) - web_peer_keys()
                if unknown:
                    raise ConfigError("config.unknown_setting", setting=f"{setting}.{sorted(unknown)[0]}",
                                      source=_file_source(path))
                if not _coerce(spec.get("enabled", True), bool, f"{setting}.enabled"):
                    continue
                roles = _roles(spec["roles"], f"{setting}.roles") if "roles" in spec else None
                specs[name] = _PeerSpec(str(spec["url"]), f"{setting}.url", tls=False, roles=roles, web=spec)
            elif isinstance(spec, Mapping):
                unknown = set(spec) - {"address", "tls", "tls_name", "enabled", "roles"}
                if unknown:
                    raise ConfigError("config.unknown_setting", setting=f"{setting}.{sorted(unknown)[0]}",
                                      source=_file_source(path))
                if not _coerce(spec.get("enabled", True), bool, f"{setting}.enabled"):
                    continue
                tls = _coerce(spec.get("tls", False), bool, f"{setting}.tls")
                roles = _roles(spec["roles"], f"{setting}.roles") if "roles" in spec else None
                tls_name = check_tls_name(_coerce(spec.get("tls_name", ""), str, f"{setting}.tls_name"),
                                          f"{setting}.tls_name")
                specs[name] = _PeerSpec(str(spec.get("address", "")), f"{setting}.address", tls=tls, roles=roles,
                                        tls_name=tls_name)
            else:
                raise ConfigError("config.invalid_value", setting=setting, value=spec, expected=PEER_FORM)
    except ConfigError as exc:
        raise located(exc, path=path) from None
    variables: dict[str, str] = {}
    for key, value in env.items():
        if key.startswith(f"{ENV_PREFIX}PEERS_"):
            name = key[len(ENV_PREFIX) + 6:].lower()
            if name:
                # the variable gives the address; TLS, TLS name and roles of the file's peer of that name stay
                written = specs.get(name)
                web = ((written.web if written is not None and written.web is not None else {})
                       if is_url(value) else None)
                specs[name] = _PeerSpec(value, f"peers.{name}", tls=written.tls if written else False,
                                        roles=written.roles if written else None, web=web,
                                        tls_name=written.tls_name if written else "")
                variables[name] = key
    dimse: dict[str, Peer] = {}
    web_peers: dict[str, WebPeer] = {}
    for name, s in specs.items():
        try:
            if s.web is None:
                dimse[name] = Peer.parse(s.address, setting=s.setting, name=name, tls=s.tls, tls_name=s.tls_name,
                                         roles=legacy_roles(name, worklist_peer) if s.roles is None else s.roles)
            else:
                web_peers[name] = web_peer_from_table(name, s.address, s.web, f"peers.{name}",
                                                      frozenset({PeerRole.STORAGE}) if s.roles is None else s.roles,
                                                      lambda v, setting: _coerce(v, bool, setting))
        except ConfigError as exc:
            raise located(exc, variable=variables.get(name), path=path) from None
    return dimse, web_peers


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if CONFIG_ENV in env:
        return Path(env[CONFIG_ENV]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME", "~/.config")).expanduser()
    return base / "smartbox-next" / "smartbox.toml"


@dataclass(frozen=True)
class ConfigSources:
    """Where the effective configuration came from (``smartbox config show`` names them)."""

    file: Path | None  # the file read; None: no file (built-in defaults and the environment only)
    looked_for: Path  # the file that was (or would have been) read
    variables: tuple[str, ...]  # the SMARTBOX_* settings variables applied, sorted


def _setting_variables(env: Mapping[str, str]) -> list[str]:
    return sorted(k for k in env if k.startswith(ENV_PREFIX) and not k.startswith(_NOT_SETTINGS))


def config_sources(path: Path | None = None, env: Mapping[str, str] | None = None) -> ConfigSources:
    """The file and variables :func:`load_config` reads for ``path`` and ``env`` (no file is read here)."""
    env = dict(os.environ if env is None else env)
    explicit = path is not None or CONFIG_ENV in env
    looked_for = path if path is not None else default_config_path(env)
    used = looked_for if explicit or looked_for.exists() else None
    return ConfigSources(file=used, looked_for=looked_for, variables=tuple(_setting_variables(env)))


def _toml_problem(exc: tomllib.TOMLDecodeError) -> Bilingual:
    where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if where is None:
        return Bilingual(f"not valid TOML: {exc}", "kein gültiges TOML")
    line, column = where.groups()
    return Bilingual(f"not valid TOML at line {line}, column {column}: {str(exc)[:where.start()].strip()}",
                     f"kein gültiges TOML in Zeile {line}, Spalte {column}")


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (or the default location, if it exists) and apply environment overrides."""
    env = dict(os.environ if env is None else env)
    sources = config_sources(path, env)
    data: dict[str, Any] = {}
    if sources.file is not None:
        file = sources.file
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError("config.file_unreadable", path=str(file), detail=os_reason(exc)) from None
        except UnicodeDecodeError:
            raise ConfigError("config.file_unreadable", path=str(file),
                              detail=Bilingual("it is not UTF-8 text", "sie ist kein UTF-8-Text")) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("config.file_unreadable", path=str(file), detail=_toml_problem(exc)) from None
    return config_from_mapping(data, env, path=sources.file)


def config_from_mapping(data: Mapping[str, Any], env: Mapping[str, str] | None = None, *,
                        path: Path | None = None) -> Config:
    """Build a Config from parsed TOML (of the file ``path``, named in errors) and an environment mapping."""
    env = {} if env is None else env
    for key in data:
        if key not in SECTIONS and key not in ("peers", "procedure_regions"):
            raise ConfigError("config.unknown_setting", setting=key, source=_file_source(path))
    env_keys = {f"{ENV_PREFIX}{name}_{f.name}".upper() for name, cls in SECTIONS.items() for f in fields(cls)}
    env_keys |= secret_env_names(_table(data, "peers", path))  # a secret's variable may be named SMARTBOX_…
    for key in _setting_variables(env):
        if not re.match(rf"^{ENV_PREFIX}PEERS_[A-Z0-9_]+$", key) and key not in env_keys:
            for moved in MOVED_SETTINGS:
                if key == f"{ENV_PREFIX}{moved.replace('.', '_')}".upper():
                    _moved(moved, _ENVIRONMENT)
            raise ConfigError("config.unknown_setting", setting=key, source=_ENVIRONMENT)
    sections = {
        name: _build_section(name, cls, _table(data, name, path), env, path) for name, cls in SECTIONS.items()
    }
    dimse, web = _peers(_table(data, "peers", path), env, sections["worklist"].peer, path)
    config = Config(**sections, peers=dimse, web_peers=web,
                    procedure_regions=_procedure_regions(_table(data, "procedure_regions", path)))
    config.worklist_source()  # refuses contradictory worklist roles now, not at the first query
    spec = config.worklist.peer
    if spec and spec not in config.peers and "@" in spec:  # a literal AET@host:port: checked now, named
        variable = f"{ENV_PREFIX}WORKLIST_PEER"
        try:
            Peer.parse(spec, setting="worklist.peer")
        except ConfigError as exc:
            raise located(exc, variable=variable if variable in env else None, path=path) from None
    return config


def _procedure_regions(table: Mapping[str, Any]) -> dict[str, str]:
    """``[procedure_regions]``: every value a region (name or code), every key non-empty text."""
    out: dict[str, str] = {}
    for key, value in table.items():
        setting = f"procedure_regions.{key}"
        if not str(key).strip() or not isinstance(value, str) or not value.strip():
            raise ConfigError("config.invalid_value", setting=setting, value=value, expected=REGION_FORM)
        out[str(key)] = _region(value, setting)
    return out


def _table(data: Mapping[str, Any], name: str, path: Path | None) -> Mapping[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise ConfigError("config.invalid_in_file", setting=name, value=table, source=_file_source(path),
                          expected=Bilingual("a table", "eine Tabelle"))
    return table


def with_overrides(config: Config, section: str, **values: Any) -> Config:
    """A copy of ``config`` with some values of one section replaced (validated like the file's)."""
    cls = SECTIONS[section]
    current = getattr(config, section)
    checked: dict[str, Any] = {}
    by_name = {f.name: f for f in fields(cls)}
    for key, raw in values.items():
        f = by_name[key]
        value = _coerce(raw, f.type, f"{section}.{key}")
        check = f.metadata.get("check")
        checked[key] = check(value, f"{section}.{key}") if check else value
    return replace(config, **{section: replace(current, **checked)})


def as_toml_dict(config: Config) -> dict[str, Any]:
    """The effective configuration as plain data (for ``smartbox config show``)."""
    out: dict[str, Any] = {}
    for name in SECTIONS:
        section = getattr(config, name)
        out[name] = {f.name: _plain(getattr(section, f.name)) for f in fields(section)}
    out["peers"] = {name: {"address": str(p), "tls": p.tls, **({"tls_name": p.tls_name} if p.tls_name else {}),
                           "roles": [r.value for r in sorted_roles(p.roles)]}
                    for name, p in config.peers.items()}
    out["peers"].update({name: {**web_peer_as_dict(p), "roles": [r.value for r in sorted_roles(p.roles)]}
                         for name, p in config.web_peers.items()})
    out["procedure_regions"] = dict(config.procedure_regions)
    return out


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_value(value: Any) -> str:
    """``value`` (str, bool, int, float or a list of them) as a TOML value (TOML 1.0 basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    text = str(value)
    out = []
    for ch in text:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(name: str) -> str:
    """A TOML key: bare when it may be, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else toml_value(name)


def env_settings(variables: Sequence[str]) -> dict[tuple[str, str], str]:
    """(section, key) -> variable for the SMARTBOX_* settings variables (``("peers", name)`` for a peer)."""
    by_variable = {f"{ENV_PREFIX}{name}_{f.name}".upper(): (name, f.name)
                   for name, cls in SECTIONS.items() for f in fields(cls)}
    out: dict[tuple[str, str], str] = {}
    for variable in variables:
        if variable in by_variable:
            out[by_variable[variable]] = variable
        elif variable.startswith(f"{ENV_PREFIX}PEERS_"):
            out[("peers", variable[len(ENV_PREFIX) + 6:].lower())] = variable
    return out


def toml_text(data: Mapping[str, Mapping[str, Any]], notes: Mapping[tuple[str, str], str] | None = None) -> str:
    """:func:`as_toml_dict` data as a TOML document that :func:`load_config` reads back to the same configuration;
    ``notes`` adds a comment to a value (``(section, key) -> text``; for a peer table: ``("peers", name)``)."""
    notes = notes or {}
    lines: list[str] = []

    def put(section: str, key: str, value: Any) -> None:
        note = notes.get((section, key))
        lines.append(f"{toml_key(key)} = {toml_value(value)}" + (f"  # {note}" if note else ""))

    for section, values in data.items():
        tables = {k: v for k, v in values.items() if isinstance(v, Mapping)}
        if len(tables) < len(values) or not tables:
            lines.append(f"[{toml_key(section)}]")
            for key, value in values.items():
                if key not in tables:
                    put(section, key, value)
            lines.append("")
        for name, table in tables.items():  # a peer: address, tls, roles
            note = notes.get((section, name))
            lines.append(f"[{toml_key(section)}.{toml_key(name)}]" + (f"  # {note}" if note else ""))
            for key, value in table.items():
                put(f"{section}.{name}", key, value)
            lines.append("")
    return "\n".join(lines)
