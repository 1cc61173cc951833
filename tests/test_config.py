"""Config: TOML file + SMARTBOX_<SECTION>_<KEY> overrides -> frozen dataclasses; bad values name the setting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smartbox_next.config import (
    SECTIONS,
    Config,
    as_toml_dict,
    config_from_mapping,
    default_config_path,
    load_config,
    with_overrides,
)
from smartbox_next.dicom.peer import Peer, PeerRole
from smartbox_next.errors import ConfigError
from smartbox_next.worklist.service import resolve_peer

STORAGE = frozenset({PeerRole.STORAGE})
WORKLIST = frozenset({PeerRole.WORKLIST})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "smartbox.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(data: dict, env: dict | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        config_from_mapping(data, env or {})
    return info.value


def assert_names(exc: ConfigError, setting: str, *expected: str) -> None:
    """The error names ``setting`` and the expected form, in English and in German."""
    en, de = exc.text("en"), exc.text("de")
    assert setting in en and setting in de, (en, de)
    for fragment in expected:
        assert fragment in en, (fragment, en)
    assert "einstellung" in de.lower() and "setting" in en.lower()
    assert exc.hint("en") and exc.hint("de")
    assert en != de


# --- defaults -------------------------------------------------------------------------------------------


def test_defaults_without_file(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "nothing")}
    cfg = load_config(env=env)
    assert cfg == Config()
    assert cfg.station.ae_title == "SMARTBOX"
    assert cfg.station.language == ""  # the system locale decides (messages.operator_language)
    assert cfg.uid.root == ""
    assert cfg.peers == {}
    assert cfg.data_dir == Path("~/.local/share/smartbox-next").expanduser()


def test_default_path_follows_env(tmp_path: Path) -> None:
    assert default_config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "smartbox-next" / "smartbox.toml"
    assert default_config_path({"SMARTBOX_CONFIG": str(tmp_path / "a.toml")}) == tmp_path / "a.toml"


def test_config_is_frozen() -> None:
    cfg = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.station.ae_title = "X"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.station = cfg.station  # type: ignore[misc]


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "missing.toml", env={})
    assert info.value.key == "config.file_unreadable"
    assert "missing.toml" in info.value.text("de")


def test_smartbox_config_env_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(env={"SMARTBOX_CONFIG": str(tmp_path / "missing.toml")})


def test_bad_toml_is_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[station\nae_title = 'X'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "config.file_unreadable"


# --- file + env -----------------------------------------------------------------------------------------


def test_toml_file_values(tmp_path: Path) -> None:
    path = write(tmp_path, """
[station]
ae_title = "ENDO1"
station_name = "OP-Saal 3"
institution_name = "Klinikum Süd"
language = "en"
data_dir = "/var/lib/sb"

[device]
manufacturer = "ACME"
device_serial_number = "SN-1"

[uid]
root = "1.2.276.0.7230010.3"

[objects]
jpeg_quality = 80
sop = "vl-endoscopic"

[network]
connect_timeout = 2.5
max_pdu = 0

[video]
allow_transcode = false
""")
    cfg = load_config(path, env={})
    assert cfg.station.ae_title == "ENDO1"
    assert cfg.station.institution_name == "Klinikum Süd"
    assert cfg.station.language == "en"
    assert cfg.station.data_dir == Path("/var/lib/sb")
    assert cfg.device.manufacturer == "ACME"
    assert cfg.uid.root == "1.2.276.0.7230010.3"
    assert cfg.objects.jpeg_quality == 80 and isinstance(cfg.objects.jpeg_quality, int)
    assert cfg.objects.sop == "vl-endoscopic"
    assert cfg.network.connect_timeout == 2.5
    assert cfg.network.max_pdu == 0
    assert cfg.video.allow_transcode is False


def test_env_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[station]\nae_title = "FILEAE"\nlanguage = "de"\n')
    env = {
        "SMARTBOX_STATION_AE_TITLE": "ENVAE",
        "SMARTBOX_STATION_LANGUAGE": "en",
        "SMARTBOX_OBJECTS_JPEG_QUALITY": "75",
        "SMARTBOX_NETWORK_DIMSE_TIMEOUT": "12.5",
        "SMARTBOX_VIDEO_ALLOW_TRANSCODE": "no",
        "SMARTBOX_STATION_DATA_DIR": str(tmp_path / "data"),
    }
    cfg = load_config(path, env=env)
    assert cfg.station.ae_title == "ENVAE"
    assert cfg.station.language == "en"
    assert cfg.objects.jpeg_quality == 75
    assert cfg.network.dimse_timeout == 12.5
    assert cfg.video.allow_transcode is False
    assert cfg.data_dir == tmp_path / "data"


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("YES", True), ("on", True),
                                            ("0", False), ("False", False), ("no", False), ("off", False)])
def test_env_booleans(raw: str, value: bool) -> None:
    assert config_from_mapping({}, {"SMARTBOX_VIDEO_ALLOW_TRANSCODE": raw}).video.allow_transcode is value


def test_smartbox_config_env_selects_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[station]\nae_title = "VIAENV"\n')
    assert load_config(env={"SMARTBOX_CONFIG": str(path)}).station.ae_title == "VIAENV"


def test_script_variables_are_not_settings() -> None:
    # scripts/test sets these; they must not break loading the configuration.
    env = {"SMARTBOX_SKIP_INSTALL": "1", "SMARTBOX_TEST_TIMEOUT": "600", "PATH": "/bin"}
    assert config_from_mapping({}, env) == Config()


def test_with_overrides_validates() -> None:
    cfg = with_overrides(Config(), "objects", sop="vl-photographic", jpeg_quality="60")
    assert cfg.objects.sop == "vl-photographic" and cfg.objects.jpeg_quality == 60
    with pytest.raises(ConfigError) as info:
        with_overrides(Config(), "objects", sop="ct")
    assert_names(info.value, "objects.sop", "sc | vl-endoscopic | vl-photographic")


def test_as_toml_dict_round_trips() -> None:
    cfg = config_from_mapping({"station": {"ae_title": "X1"}, "peers": {"pacs": "PACS@10.0.0.5:104"}})
    data = as_toml_dict(cfg)
    assert set(data) == {*SECTIONS, "peers", "procedure_regions"}
    assert data["peers"] == {"pacs": {"address": "PACS@10.0.0.5:104", "tls": False, "roles": ["storage"]}}
    peers = {name: p["address"] for name, p in data["peers"].items()}
    assert config_from_mapping({**data, "peers": peers}) == cfg
    assert config_from_mapping(data) == cfg  # the shown tables, roles included, read back as they are


def test_as_toml_dict_round_trips_roles() -> None:
    cfg = config_from_mapping({"worklist": {"peer": "ris"}, "peers": {
        "ris": "RIS@10.0.0.9:104",
        "pacs": {"address": "PACS@10.0.0.5:104", "roles": ["commitment", "storage"], "tls": True},
        "manual": {"address": "M@10.0.0.7:104", "roles": []},
    }})
    data = as_toml_dict(cfg)
    assert data["peers"] == {"ris": {"address": "RIS@10.0.0.9:104", "tls": False, "roles": ["worklist"]},
                             "pacs": {"address": "PACS@10.0.0.5:104", "tls": True, "roles": ["storage", "commitment"]},
                             "manual": {"address": "M@10.0.0.7:104", "tls": False, "roles": []}}
    assert config_from_mapping(data) == cfg


# --- peers ----------------------------------------------------------------------------------------------


def test_peers_as_strings_and_tables() -> None:
    cfg = config_from_mapping({"peers": {
        "pacs": "PACS@10.0.0.5:104",
        "archive": {"address": "ARCH@archive.local:11112", "tls": True},
        "old": {"address": "OLD@old:104", "enabled": False},
        "v6": "V6@[::1]:4242",
    }})
    assert cfg.peers["pacs"] == Peer("PACS", "10.0.0.5", 104, False, "pacs", frozenset({PeerRole.STORAGE}))
    assert cfg.peers["archive"] == Peer("ARCH", "archive.local", 11112, True, "archive", frozenset({PeerRole.STORAGE}))
    assert "old" not in cfg.peers
    assert cfg.peers["v6"].host == "::1" and str(cfg.peers["v6"]) == "V6@[::1]:4242"
    assert cfg.peer("pacs") is cfg.peers["pacs"]
    assert cfg.peer("ADHOC@h:1").ae_title == "ADHOC"
    with pytest.raises(ConfigError) as info:
        cfg.peer("nope")
    assert info.value.key == "config.unknown_peer" and "nope" in info.value.text("de")


def test_peers_from_env() -> None:
    cfg = config_from_mapping({"peers": {"pacs": "PACS@10.0.0.5:104"}},
                              {"SMARTBOX_PEERS_PACS": "NEWPACS@10.0.0.9:11112", "SMARTBOX_PEERS_MWL": "WL@ris:107"})
    assert cfg.peers["pacs"] == Peer("NEWPACS", "10.0.0.9", 11112, name="pacs", roles=STORAGE)
    assert cfg.peers["mwl"] == Peer("WL", "ris", 107, name="mwl", roles=STORAGE)


@pytest.mark.parametrize("spec", ["PACS", "PACS@host", "PACS@host:0", "PACS@host:65536", "@host:104",
                                  "WAYTOOLONGAETITLE1@h:104", "PA\\CS@h:104", "PACS@h:abc", "PACS@ho st:104"])
def test_bad_peer_strings(spec: str) -> None:
    exc = refused({"peers": {"pacs": spec}})
    assert_names(exc, "peers.pacs")
    assert "AE title" in exc.text("en") and "AE-Titel" in exc.text("de")


def test_bad_peer_from_env_names_setting() -> None:
    exc = refused({}, {"SMARTBOX_PEERS_PACS": "nonsense"})
    assert_names(exc, "peers.pacs", "AET@host:port")
    assert "AE-Titel" in exc.text("de")


def test_bad_peer_tables() -> None:
    assert_names(refused({"peers": {"pacs": {"address": "bad"}}}), "peers.pacs.address")
    assert_names(refused({"peers": {"pacs": {"address": "P@h:1", "tls": "maybe"}}}), "peers.pacs.tls", "true or false")
    exc = refused({"peers": {"pacs": {"address": "P@h:1", "port": 104}}})
    assert exc.key == "config.unknown_setting" and "peers.pacs.port" in exc.text("de")
    assert_names(refused({"peers": {"pacs": 104}}), "peers.pacs", "AET@host:port")
    assert_names(refused({"peers": "x"}), "peers", "a table")


# --- peer roles -----------------------------------------------------------------------------------------


def roles_of(cfg: Config) -> dict[str, set[str]]:
    return {name: {r.value for r in p.roles} for name, p in cfg.peers.items()}


def test_roles_as_written() -> None:
    cfg = config_from_mapping({"peers": {
        "pacs": {"address": "PACS@10.1.2.3:104", "roles": ["storage", "commitment"]},
        "ris": {"address": "RIS@10.1.2.9:104", "roles": ["worklist", "mpps"]},
        "manual": {"address": "TEST@10.1.2.8:104", "roles": []},
    }})
    assert roles_of(cfg) == {"pacs": {"storage", "commitment"}, "ris": {"worklist", "mpps"}, "manual": set()}
    assert list(cfg.storage_peers()) == ["pacs"]  # MPPS, worklist and manual-only peers receive no C-STORE
    assert cfg.worklist_source() == "ris"  # worklist.peer empty: the one peer with role worklist
    assert cfg.peer("manual").roles == frozenset()  # still usable by name (send --to, echo)


def test_legacy_string_and_table_forms_keep_the_old_rule() -> None:
    """Files from before roles: every peer is a destination except the one worklist.peer names."""
    cfg = config_from_mapping({"worklist": {"peer": "ris"}, "peers": {
        "pacs": "PACS@10.1.2.3:104",
        "ris": "RIS@10.1.2.9:104",
        "archive": {"address": "ARCH@10.1.2.4:2762", "tls": True},
    }})
    assert roles_of(cfg) == {"pacs": {"storage"}, "ris": {"worklist"}, "archive": {"storage"}}
    assert list(cfg.storage_peers()) == ["pacs", "archive"]
    assert cfg.worklist_source() == "ris"


def test_legacy_table_named_by_worklist_peer_is_worklist_only() -> None:
    cfg = config_from_mapping({"worklist": {"peer": "ris"},
                               "peers": {"ris": {"address": "RIS@10.1.2.9:104"}, "pacs": "PACS@10.1.2.3:104"}})
    assert roles_of(cfg) == {"ris": {"worklist"}, "pacs": {"storage"}}


def test_legacy_worklist_peer_as_address_leaves_every_peer_storage() -> None:
    cfg = config_from_mapping({"worklist": {"peer": "RIS@10.1.2.9:104"}, "peers": {"pacs": "PACS@10.1.2.3:104"}})
    assert roles_of(cfg) == {"pacs": {"storage"}}
    assert cfg.worklist_source() == "RIS@10.1.2.9:104"


def test_no_worklist_peer_and_no_worklist_role_means_no_worklist() -> None:
    cfg = config_from_mapping({"peers": {"pacs": "PACS@10.1.2.3:104"}})
    assert cfg.worklist_source() == ""
    with pytest.raises(ConfigError) as info:
        resolve_peer(cfg)
    assert info.value.key == "worklist.no_peer"


def test_the_worklist_query_asks_the_one_worklist_peer() -> None:
    cfg = config_from_mapping({"peers": {"pacs": {"address": "PACS@10.1.2.3:104", "roles": ["storage"]},
                                         "ris": {"address": "RIS@10.1.2.9:104", "roles": ["worklist", "mpps"]}}})
    assert resolve_peer(cfg) is cfg.peers["ris"]
    assert resolve_peer(cfg, "pacs") is cfg.peers["pacs"]  # --from still names any peer


def test_legacy_env_peers() -> None:
    env = {"SMARTBOX_PEERS_PACS": "PACS@10.1.2.3:104", "SMARTBOX_PEERS_RIS": "RIS@10.1.2.9:104",
           "SMARTBOX_WORKLIST_PEER": "ris"}
    cfg = config_from_mapping({}, env)
    assert roles_of(cfg) == {"pacs": {"storage"}, "ris": {"worklist"}}


def test_env_address_keeps_roles_and_tls_of_the_file() -> None:
    cfg = config_from_mapping(
        {"peers": {"pacs": {"address": "PACS@10.1.2.3:104", "tls": True, "roles": ["commitment"]}}},
        {"SMARTBOX_PEERS_PACS": "NEW@10.9.9.9:11112"})
    assert cfg.peers["pacs"] == Peer("NEW", "10.9.9.9", 11112, True, "pacs", frozenset({PeerRole.COMMITMENT}))
    assert cfg.storage_peers() == {}


def test_explicit_roles_ignore_the_legacy_rule() -> None:
    # named by worklist.peer and stating both roles: a destination and the worklist SCP
    cfg = config_from_mapping({"worklist": {"peer": "pacs"},
                               "peers": {"pacs": {"address": "PACS@10.1.2.3:104", "roles": ["storage", "worklist"]}}})
    assert roles_of(cfg) == {"pacs": {"storage", "worklist"}}
    assert list(cfg.storage_peers()) == ["pacs"] and cfg.worklist_source() == "pacs"


def test_worklist_peer_naming_a_peer_without_the_role_is_refused() -> None:
    exc = refused({"worklist": {"peer": "pacs"},
                   "peers": {"pacs": {"address": "PACS@10.1.2.3:104", "roles": ["storage", "commitment"]}}})
    assert exc.key == "config.worklist_peer_role"
    en, de = exc.text("en"), exc.text("de")
    assert en == "worklist.peer names the peer 'pacs', but its roles (storage, commitment) do not include worklist."
    assert "Gegenstelle 'pacs'" in de and "(storage, commitment)" in de
    assert 'peers.pacs.roles' in exc.hint("en") and exc.hint("de").startswith("Bitte")


def test_worklist_peer_naming_a_peer_without_any_role_says_none() -> None:
    exc = refused({"worklist": {"peer": "x"}, "peers": {"x": {"address": "X@h:104", "roles": []}}})
    assert "(none)" in exc.text("en") and "(keine)" in exc.text("de") and "none" not in exc.text("de")


def test_several_worklist_roles_without_worklist_peer_are_refused() -> None:
    exc = refused({"peers": {"ris": {"address": "RIS@h:104", "roles": ["worklist"]},
                             "ris2": {"address": "RIS2@h:104", "roles": ["worklist", "mpps"]}}})
    assert exc.key == "config.worklist_ambiguous"
    assert "ris, ris2" in exc.text("en") and "ris, ris2" in exc.text("de")
    assert "worklist.peer" in exc.hint("en") and exc.hint("de").startswith("Bitte")


def test_several_worklist_roles_with_worklist_peer_are_fine() -> None:
    cfg = config_from_mapping({"worklist": {"peer": "ris2"},
                               "peers": {"ris": {"address": "RIS@h:104", "roles": ["worklist"]},
                                         "ris2": {"address": "RIS2@h:104", "roles": ["worklist"]}}})
    assert cfg.worklist_source() == "ris2"


def test_worklist_source_checks_a_config_changed_later() -> None:
    cfg = config_from_mapping({"peers": {"pacs": {"address": "PACS@h:104", "roles": ["storage"]}}})
    changed = with_overrides(cfg, "worklist", peer="pacs")
    with pytest.raises(ConfigError) as info:
        changed.worklist_source()
    assert info.value.key == "config.worklist_peer_role"


@pytest.mark.parametrize("role", ["storag", "Storage", "mwl", ""])
def test_unknown_role_is_refused(role: str) -> None:
    exc = refused({"peers": {"pacs": {"address": "PACS@h:104", "roles": ["storage", role]}}})
    assert exc.key == "config.unknown_role"
    en, de = exc.text("en"), exc.text("de")
    assert f"'{role}'" in en and f"'{role}'" in de and "peers.pacs.roles" in en and "peers.pacs.roles" in de
    assert "storage, worklist, mpps, commitment" in en and "unbekannte Rolle" in de
    assert exc.hint("de").startswith("Bitte")


@pytest.mark.parametrize("roles", ["storage", 1, [1], {"storage": True}])
def test_roles_must_be_a_list_of_names(roles: object) -> None:
    exc = refused({"peers": {"pacs": {"address": "PACS@h:104", "roles": roles}}})
    assert_names(exc, "peers.pacs.roles", "a list of roles")
    assert "eine Liste von Rollen" in exc.text("de") and "a list" not in exc.text("de")


def test_roles_of_a_disabled_peer_do_not_count() -> None:
    cfg = config_from_mapping({"peers": {
        "ris": {"address": "RIS@h:104", "roles": ["worklist"]},
        "old": {"address": "OLD@h:104", "roles": ["worklist"], "enabled": False},
    }})
    assert list(cfg.peers) == ["ris"] and cfg.worklist_source() == "ris"


def test_roles_from_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[worklist]\npeer = ""\n\n[peers.pacs]\naddress = "PACS@10.1.2.3:104"\n'
                           'roles = ["storage", "commitment"]\n\n[peers.ris]\naddress = "RIS@10.1.2.9:104"\n'
                           'roles = ["worklist", "mpps"]\n')
    cfg = load_config(path, env={})
    assert roles_of(cfg) == {"pacs": {"storage", "commitment"}, "ris": {"worklist", "mpps"}}


# --- bad values -----------------------------------------------------------------------------------------

BAD_VALUES = [
    # section, key, value, fragment of the expected form (English), fragment (German)
    ("station", "ae_title", "", "AE title", "AE-Titel"),
    ("station", "ae_title", "A" * 17, "AE title", "AE-Titel"),
    ("station", "ae_title", "ÄRZTE", "ASCII", "ASCII"),
    ("station", "ae_title", "A\\B", "backslash", "Backslash"),
    ("station", "ae_title", "   ", "AE title", "AE-Titel"),
    ("station", "station_name", "S" * 17, "at most 16 characters", "höchstens 16 Zeichen"),
    ("station", "institution_name", "I" * 65, "at most 64 characters", "höchstens 64 Zeichen"),
    ("station", "institution_name", "a\nb", "line break", "Zeilenumbruch"),
    ("station", "language", "fr", "de | en", "de | en"),
    ("station", "ae_title", 5, "text", "Text"),
    ("station", "data_dir", 5, "a path", "ein Pfad"),
    ("device", "manufacturer", "M" * 65, "at most 64", "höchstens 64"),
    ("uid", "root", "01.2", "no leading zeros", "führende Nullen"),
    ("uid", "root", "1.2.", "digits and dots", "Ziffern und Punkte"),
    ("uid", "root", "1." + "2" * 39, "at most 40", "höchstens 40"),
    ("uid", "root", "1.2.abc", "digits and dots", "Ziffern und Punkte"),
    ("objects", "sop", "ct", "sc | vl-endoscopic | vl-photographic", "sc | vl-endoscopic"),
    ("objects", "jpeg_quality", 49, "50 … 100", "50 … 100"),
    ("objects", "jpeg_quality", "high", "a whole number", "eine ganze Zahl"),
    ("objects", "jpeg_quality", 92.5, "a whole number", "eine ganze Zahl"),
    ("objects", "jpeg_quality", True, "a whole number", "eine ganze Zahl"),
    ("objects", "character_set", "ISO_IR 6", "ISO_IR 100 | ISO_IR 192", "ISO_IR 192"),
    ("objects", "conversion_type", "XX", "DV", "DV"),
    ("objects", "emergency_prefix", "E" * 25, "at most 24", "höchstens 24"),
    ("network", "connect_timeout", 0, "0.1 … 3600", "0.1 … 3600"),
    ("network", "connect_timeout", "fast", "a number", "eine Zahl"),
    ("network", "connect_timeout", "nan", "0.1 … 3600", "0.1 … 3600"),
    ("network", "max_pdu", -1, "0 … ", "0 … "),
    ("retry", "jitter", 1.5, "0 … 1", "0 … 1"),
    ("retry", "max_attempts", 0, "1 … 10000", "1 … 10000"),
    ("video", "allow_transcode", "maybe", "true or false", "true oder false"),
    ("video", "allow_transcode", 2, "true or false", "true oder false"),
    ("video", "h264_crf", 52, "0 … 51", "0 … 51"),
    ("objects", "anatomic_region", "SCT:123", "SCHEME:VALUE:Meaning", "SCHEMA:WERT:Bedeutung"),
]


@pytest.mark.parametrize(("section", "key", "value", "expected_en", "expected_de"), BAD_VALUES)
def test_bad_value_in_file(section: str, key: str, value: object, expected_en: str, expected_de: str) -> None:
    exc = refused({section: {key: value}})
    assert exc.key == "config.invalid_in_file"
    assert_names(exc, f"{section}.{key}", expected_en)
    assert expected_de in exc.text("de"), exc.text("de")
    assert f"{section}.{key}" in exc.hint("de") and f"{section}.{key}" in exc.hint("en")


@pytest.mark.parametrize(("section", "key", "value", "expected_en", "expected_de"),
                         [b for b in BAD_VALUES if isinstance(b[2], str) and b[2].strip() and "\n" not in b[2]])
def test_bad_value_in_env(section: str, key: str, value: str, expected_en: str, expected_de: str) -> None:
    variable = f"SMARTBOX_{section}_{key}".upper()
    exc = refused({}, {variable: value})
    assert exc.key == "config.invalid_env"
    assert_names(exc, f"{section}.{key}", expected_en, variable)
    assert variable in exc.text("de") and variable in exc.hint("en") and variable in exc.hint("de")
    assert expected_de in exc.text("de")


def test_german_error_has_no_english_filler() -> None:
    de = refused({"station": {"station_name": "S" * 17}}).text("de")
    assert "at most" not in de and "characters" not in de
    de = refused({"objects": {"jpeg_quality": "x"}}).text("de")
    assert "whole number" not in de and "int" not in de.split(":")[-1]


# --- unknown keys ---------------------------------------------------------------------------------------


def test_unknown_section_in_file() -> None:
    exc = refused({"stations": {"ae_title": "X"}})
    assert exc.key == "config.unknown_setting" and "stations" in exc.text("en")
    assert "Konfigurationsdatei" in exc.text("de")


def test_unknown_key_in_file() -> None:
    exc = refused({"station": {"ae_titel": "X"}})
    assert exc.key == "config.unknown_setting"
    assert "station.ae_titel" in exc.text("en") and "station.ae_titel" in exc.text("de")
    assert "configuration file" in exc.text("en") and "Konfigurationsdatei" in exc.text("de")


@pytest.mark.parametrize("var", ["SMARTBOX_STATION_AE_TITEL", "SMARTBOX_STATIONS_AE_TITLE", "SMARTBOX_UID_PREFIX",
                                 "SMARTBOX_PEERS"])
def test_unknown_env_variable(var: str) -> None:
    exc = refused({}, {var: "X"})
    assert exc.key == "config.unknown_setting"
    assert var in exc.text("en") and var in exc.text("de")
    assert "environment" in exc.text("en") and "Umgebung" in exc.text("de")


def test_section_must_be_table() -> None:
    assert_names(refused({"station": "x"}), "station", "a table")
