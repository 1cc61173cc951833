"""Operator documents generated from the code: ``docs/configuration.md`` (every setting of
:data:`smartbox_next.config.SECTIONS` with its default and ``metadata["doc"]``) and ``docs/operations.md``
(the bilingual message catalogue :data:`smartbox_next.messages.CATALOGUE` with what to do for each message).
Both support the conformance statement's configuration section (PS3.2 Annex N.6).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from smartbox_next.config import CONFIG_ENV, ENV_PREFIX, SECTIONS
from smartbox_next.conformance.doc import Document, to_markdown
from smartbox_next.dicom.peer import PeerRole
from smartbox_next.messages import CATALOGUE
from smartbox_next.spool.outbox import JobState

_ROLES = {
    PeerRole.STORAGE: ("Storage SCP (PACS, archive): receives C-STORE",
                       "a sending destination: every capture is queued for it"),
    PeerRole.WORKLIST: ("Modality Worklist SCP (RIS): answers C-FIND", "the worklist query (`worklist.peer`)"),
    PeerRole.MPPS: ("Modality Performed Procedure Step SCP: N-CREATE/N-SET",
                    "every exam is reported to it: N-CREATE at the start, N-SET at the end"),
    PeerRole.COMMITMENT: ("Storage Commitment SCP: N-ACTION, N-EVENT-REPORT",
                          "on a storage peer: its objects are committed there, and the spool keeps them until then; "
                          "its AE title may connect to the listener (`listener.port`) with reports"),
}


def default_text(value: Any) -> str:
    """A default as written in TOML (``"text"``, ``true``, ``600.0``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return f'"{value}"'
    return repr(value)


def _type_name(kind: Any) -> str:
    return kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))


def settings() -> list[tuple[str, str, str, str, str]]:
    """(setting, environment variable, type, default, description) for every setting, in schema order."""
    out = []
    for section, cls in SECTIONS.items():
        defaults = cls()
        for f in fields(cls):
            default = getattr(defaults, f.name)
            out.append((f"{section}.{f.name}", f"{ENV_PREFIX}{section}_{f.name}".upper(), _type_name(f.type),
                        default_text(default), str(f.metadata.get("doc", ""))))
    return out


def configuration_md() -> str:
    doc = Document("SmartBox Next — Configuration")
    doc.p("Generated from `smartbox_next.config.SECTIONS` by `scripts/gen-docs`; do not edit by hand.")
    doc.p(f"Settings are read from a TOML file — `--config FILE`, else `${CONFIG_ENV}`, else "
          "`~/.config/smartbox-next/smartbox.toml` (if it exists) — and each can be overridden by an environment "
          f"variable `{ENV_PREFIX}<SECTION>_<KEY>`. Every setting has a default, so the station runs without a "
          "file. A bad value is refused with a message naming the setting and the expected form. "
          "`smartbox config show` prints the effective configuration.")
    for section, cls in SECTIONS.items():
        doc.h(1, f"[{section}]")
        doc.p((cls.__doc__ or "").strip().splitlines()[0])
        rows = [[f"`{s}`", t, f"`{d}`", desc, f"`{env}`"] for s, env, t, d, desc in settings()
                if s.startswith(section + ".")]
        doc.table(["Setting", "Type", "Default", "Meaning", "Environment"], rows)
    doc.h(1, "[peers]")
    doc.p("The DICOM peers, by name: `name = \"AET@host:port\"`, or a table `[peers.name]` with "
          "`address = \"AET@host:port\"`, `tls = true|false` (default false), `tls_name = \"…\"` (the name the "
          "peer's TLS certificate is issued for, when it differs from the host of `address`, e.g. a peer addressed "
          "by IP; default: that host), `enabled = true|false` (default true) "
          "and `roles = [...]` (what the peer is for, see below). Environment: `SMARTBOX_PEERS_<NAME>=AET@host:port` "
          "adds a peer, or replaces the address of the file's peer of that name (its `tls`, `tls_name` and `roles` "
          "stay). Default: none. A peer with `tls = true` needs `network.tls_ca_certificates` (or "
          "`network.tls_system_ca = true`): see the conformance statement, section 8, for the trust model.")
    doc.table(["Role", "The peer", "Used for"], [[f"`{role.value}`", *_ROLES[role]] for role in PeerRole])
    doc.p("A peer may have several roles (`roles = [\"storage\", \"commitment\"]`); `roles = []` keeps a peer for "
          "commands that name it (`smartbox send --to NAME`, `smartbox echo NAME`) without any automatic use. "
          "Only peers with role `storage` are sending destinations of the outbox. `worklist.peer` names the "
          "worklist SCP; it may stay empty when exactly one peer has role `worklist` (then that one is asked).")
    doc.code('[worklist]\npeer = ""            # the one peer with role worklist\n\n'
             '[peers.pacs]\naddress = "PACS@10.1.2.3:104"\nroles = ["storage", "commitment"]\n\n'
             '[peers.ris]\naddress = "RIS@10.1.2.9:104"\nroles = ["worklist", "mpps"]\n\n'
             '[peers.archive]\naddress = "ARCH@10.1.2.4:2762"\ntls = true\ntls_name = "archive.hospital.example"\n'
             'roles = ["storage"]')
    doc.h(2, "Configurations without roles")
    doc.p("A peer written without `roles` — the string form `pacs = \"AET@host:port\"`, a table without `roles`, "
          "or a `SMARTBOX_PEERS_<NAME>` variable for a peer the file does not have — gets the rule of "
          "configurations from before roles existed: the peer named by `worklist.peer` has role `worklist` only, "
          "every other peer role `storage`. Such files keep working unchanged; `smartbox config show` prints the "
          "roles each peer got. To migrate, write each peer as a table with its `roles`. Before:")
    doc.code('[worklist]\npeer = "ris"\n\n[peers]\npacs = "PACS@10.1.2.3:104"\nris = "RIS@10.1.2.9:104"')
    doc.p("After (the same roles, now written; `worklist.peer` may then stay empty, `ris` being the only peer "
          "with role `worklist`):")
    doc.code('[worklist]\npeer = "ris"\n\n[peers.pacs]\naddress = "PACS@10.1.2.3:104"\nroles = ["storage"]\n\n'
             '[peers.ris]\naddress = "RIS@10.1.2.9:104"\nroles = ["worklist"]')
    doc.p("Refused with a message naming the setting: an unknown role (`config.unknown_role`); `worklist.peer` "
          "naming a peer whose `roles` lack `worklist` (`config.worklist_peer_role`); `worklist.peer` empty while "
          "several peers have role `worklist` (`config.worklist_ambiguous`).")
    _web_peers(doc)
    _procedure_regions(doc)
    return to_markdown(doc)


def _procedure_regions(doc: Document) -> None:
    """``[procedure_regions]`` and the order the anatomic region is chosen in (PS3.3 C.8.12.1)."""
    from smartbox_next.config import MOVED_SETTINGS
    from smartbox_next.dicom.anatomy import REGION_NAMES

    doc.h(1, "[procedure_regions]")
    doc.p("The site's additions to the built-in table that maps a scheduled procedure to the Anatomic Region "
          "Sequence (0008,2218) of its objects (conformance statement, Annex E). A key is a procedure code "
          "`SCHEME:VALUE` (matched against the Requested Procedure Code Sequence and the Scheduled Protocol Code "
          "Sequence of the worklist entry) or a word of the procedure description (matched, ignoring case and "
          "umlaut spelling, in the Requested Procedure / Scheduled Procedure Step Descriptions and code meanings); "
          "a value is a region name or a code `SCHEME:VALUE:Meaning`. The site's codes and words are looked at "
          "before the built-in ones. Default: none.")
    doc.code('[procedure_regions]\n"99KLIN:KOL01" = "colon"\n"99KLIN:BRO7" = "bronchus"\n'
             '"Pouchoskopie" = "SCT:34402009:Rectum"')
    doc.p("The region of an exam is, in this order: `--anatomic-region` on `create`/`export`; the worklist entry "
          "(these tables); `objects.anatomic_region`, only when set and only when the entry names no region. An "
          "entry naming two regions, or none without a station default, leaves it open: a video object is then "
          "refused with a message asking to choose the region; a still is written without it. Region names: "
          + ", ".join(f"`{n}`" for n in REGION_NAMES) + ".")
    doc.p("Settings of earlier versions that were replaced are refused by name (`config.setting_moved`): "
          + ", ".join(f"`{m}`" for m in MOVED_SETTINGS) + " (their built-in default was a colon code on every "
          "video).")


def _web_peers(doc: Document) -> None:
    """The ``[peers.NAME] url = …`` form: DICOMweb (STOW-RS) destinations."""
    doc.h(2, "DICOMweb peers (STOW-RS)")
    doc.p("A peer with `url` instead of `address` is a DICOMweb service (PS3.18): its base URL, e.g. "
          "`https://pacs.example/dicom-web` (the path before `/studies`). It can only have role `storage` (the "
          "default when `roles` is not written); `export` and `serve` deliver to it through the outbox like to a "
          "PACS, `smartbox send FILE --to NAME` or `--to https://…` (no authentication) sends directly, "
          "`smartbox echo NAME` checks reachability and credentials with one QIDO-RS query. "
          "`SMARTBOX_PEERS_<NAME>=https://…` sets or replaces the URL (the file's other keys of that peer stay).")
    doc.table(["Key", "Default", "Meaning"], [
        ["`url`", "—", "Base URL (`http://` or `https://`), no user name or password in it."],
        ["`auth`", "`none`", "`none`, `basic` (RFC 7617) or `bearer` (RFC 6750)."],
        ["`username`", "`\"\"`", "User name for `basic`."],
        ["`password_env` / `password_file`", "—", "For `basic`: the environment variable or the file holding the "
         "password (exactly one). The secret itself is never written in the configuration and never shown."],
        ["`token_env` / `token_file`", "—", "For `bearer`: the environment variable or the file holding the token."],
        ["`ca_bundle`", "`\"\"`", "PEM file of the CA(s) that sign the server certificate; empty = the system's CAs."],
        ["`verify_tls`", "`true`", "Verify the HTTPS certificate and host name (switch off only for a test system)."],
        ["`verify_stored`", "`false`", "Confirm every stored instance by QIDO-RS before its job counts as "
         "delivered (retention keeps the file until then)."],
        ["`enabled`, `roles`", "`true`, `[\"storage\"]`", "As for DIMSE peers."],
    ])
    doc.code('[peers.archive]\nurl = "https://pacs.example/dicom-web"\nauth = "basic"\nusername = "smartbox"\n'
             'password_file = "/etc/smartbox/archive.password"\nca_bundle = "/etc/smartbox/hospital-ca.pem"\n'
             'verify_stored = true\n\n[peers.cloud]\nurl = "https://imaging.example.com/v1/dicomWeb"\n'
             'auth = "bearer"\ntoken_env = "CLOUD_TOKEN"')
    doc.p("Request grouping and waits are in `[dicomweb]`; connect and send-progress timeouts come from "
          "`[network]` (`connect_timeout`, `network_timeout`). A secret that cannot be read "
          "(`config.secret_unavailable`) keeps the jobs queued and is read again at the next attempt.")


def _area(key: str) -> str:
    return key.split(".", 1)[0]


def operations_md() -> str:
    doc = Document("SmartBox Next — Operations")
    doc.p("Generated from the message catalogue (`smartbox_next.messages`) by `scripts/gen-docs`; do not edit "
          "by hand. Placeholders such as `{peer}` are filled in when the message is shown.")
    doc.h(1, "Everyday operation")
    doc.ul([
        "`smartbox serve` runs the sending service: one worker per destination; stop it with SIGTERM/Ctrl-C — "
        "objects in flight are finished, the rest stays queued.",
        "`smartbox queue` shows what is pending per destination; every failed job carries its message key and "
        "parameters, shown in the operator's language.",
        "`smartbox queue retry` / `smartbox queue cancel` act on the jobs named: job numbers, `--to DESTINATION`, "
        "or `--all` — without any of them they refuse (exit code 2), and an unknown job number is an error that "
        "changes nothing.",
        "`smartbox queue purge [--older-than-days N]` deletes the spool files every destination has (default age: "
        "`outbox.retention_days`). A capture some destination does not have — a job queued, sending, waiting, "
        "failed or cancelled — is kept, whatever its age; `--force --confirm N` deletes those too, N being their "
        "number as the command reports it (a different number deletes nothing).",
        "`smartbox echo PEER` checks that a PACS answers (C-ECHO) and how fast.",
        "Outbox job states: " + ", ".join(f"`{s.value}`" for s in JobState) + ". Retryable failures wait in "
        "`retry_wait` and are retried automatically (exponential back-off, see `[retry]` in configuration.md); "
        "permanent failures end in `failed` and need the action below.",
        "`smartbox serve` says on stdout, in the station's language, what it serves (destinations, data folder, "
        "listening ports), each job as it is sent, retried (attempt n of m, the next attempt's local time, the "
        "reason) or failed (with what to do), what `--until-idle` waits for, and when it stops. With nothing to "
        "send to it exits 1; `--until-idle` exits 1 when a job failed for good in that run.",
        "`smartbox queue list` shows per job its state, destination, accession number (the patient's name only "
        "with `--show-patient`), size, attempts and next attempt (local time), and per destination the count and "
        "MByte waiting; `smartbox queue show N` the whole job with its reason and what to do; `--json` for "
        "machines.",
        "`smartbox config show` prints the effective configuration as TOML that `--config` reads back, naming the "
        "file and the `SMARTBOX_*` variables it came from; `smartbox config settings` prints every setting with "
        "its default. A bad value is named with where it came from: the file, the environment variable, or the "
        "command-line option.",
        "Exit codes: 0 success; 1 anything about inputs, files, the configuration, peers or the network (message "
        "and what to do); 2 only a mistake in the command line itself (unknown option, missing argument, invalid "
        "choice) — also worded in the operator's language.",
        "Language: `--lang de|en` (before or after the command), else `station.language`, else the system locale "
        "(`LC_ALL`, `LC_MESSAGES`, `LANG`), else English. `--help` texts are English.",
        "Logs (stderr) are English and carry job IDs, SOP Instance UIDs and accession numbers, never patient names "
        "or birth dates at INFO; `--log-format json` writes them as one JSON object per line (at least INFO) for a "
        "log collector, while status lines for people stay on stdout.",
        "Files: the data folder (`station.data_dir`), its spool and exam journals are 0700, the outbox database, "
        "spooled objects, journals and the worklist cache 0600 — they hold patient data and belong to the service "
        "user alone (SmartBox closes a data folder or database it finds open to others). Objects written by "
        "`smartbox create --out` get the mode the user's umask gives a new file.",
    ])
    doc.h(1, "Messages and what to do / Meldungen und was zu tun ist")
    areas = list(dict.fromkeys(_area(k) for k in sorted(CATALOGUE)))
    for area in areas:
        doc.h(2, f"`{area}.*`")
        rows = [[f"`{key}`", m.en, m.de, m.hint_en, m.hint_de]
                for key, m in sorted(CATALOGUE.items()) if _area(key) == area]
        doc.table(["Key", "Message (English)", "Meldung (Deutsch)", "What to do", "Was zu tun ist"], rows)
    return to_markdown(doc)
