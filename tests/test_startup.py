"""Commands that need no DICOM library load none (issue 13): a person typing ``smartbox queue list`` or a script
calling ``smartbox --help`` must not pay for pydicom, pynetdicom, numpy, Pillow, PyAV or the HTTP stack.

Each command runs in a fresh interpreter (``sys.modules`` of a real process); the speed itself is measured by
``bench/startup.py`` (timed assertions in tests are flaky), only the property "imports nothing heavy" lives here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import smartbox_next

HEAVY = ("pydicom", "pynetdicom", "numpy", "PIL", "av", "httpx", "starlette", "uvicorn", "rich")

LIGHT_COMMANDS = [
    ["--help"], ["--version"], ["config", "show"], ["config", "show", "--json"], ["config", "settings"],
    ["queue", "list"], ["queue", "list", "--json"], ["queue", "show", "1"], ["queue", "cancel", "1"],
    ["queue", "retry", "1"], ["queue", "purge"], ["queue", "--help"],
    *[[name, "--help"] for name in ("conformance", "station")],
]


def _help_commands() -> list[list[str]]:
    """``smartbox <command> --help`` for every command of :data:`COMMAND_MODULES` and ``smartbox <group> <sub>
    --help`` for every subcommand: asking how to call a command never loads a DICOM library."""
    import click

    from smartbox_next.cli._app import COMMAND_MODULES, cli

    ctx = click.Context(cli)
    out: list[list[str]] = []
    for name in sorted(COMMAND_MODULES):
        out.append([name, "--help"])
        cmd = cli.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            out += [[name, sub, "--help"] for sub in sorted(cmd.commands)]
    return out


HELP_COMMANDS = _help_commands()

_PROBE = """
import json, sys
from smartbox_next.cli import main
code = main(sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(%r)))
print("HEAVY=" + json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def _probe(args: list[str], data: Path) -> tuple[int, list[str], str]:
    """Exit code, heavy modules loaded and stdout of ``smartbox ARGS`` in a fresh process of the tree under test
    (not an installed copy), with its data folder in ``data``."""
    source = Path(smartbox_next.__file__).resolve().parents[1]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(source), "HOME": str(data),
           "XDG_CONFIG_HOME": str(data / "xdg"), "SMARTBOX_STATION_DATA_DIR": str(data / "station"),
           "SMARTBOX_STATION_LANGUAGE": "en", "SMARTBOX_PEERS_PACS": "PACS@127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", _PROBE % json.dumps(HEAVY), *args], env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    line = next(line for line in done.stderr.splitlines() if line.startswith("HEAVY="))
    result = json.loads(line[len("HEAVY="):])
    return int(result["code"]), list(result["heavy"]), done.stdout


def _heavy_modules(args: list[str], data: Path) -> tuple[int, list[str]]:
    code, heavy, _out = _probe(args, data)
    return code, heavy


@pytest.mark.parametrize("args", LIGHT_COMMANDS, ids=" ".join)
def test_commands_that_need_no_dicom_library_load_none(args: list[str], tmp_path: Path) -> None:
    code, heavy = _heavy_modules(args, tmp_path)
    assert code in (0, 1), code  # 1: e.g. "there is no job 1" — the point is what was imported
    assert heavy == [], f"smartbox {' '.join(args)} imported {heavy}"


@pytest.mark.parametrize("args", HELP_COMMANDS, ids=" ".join)
def test_every_commands_help_loads_no_dicom_library(args: list[str], tmp_path: Path) -> None:
    code, heavy = _heavy_modules(args, tmp_path)
    assert code == 0, code
    assert heavy == [], f"smartbox {' '.join(args)} imported {heavy}"


def test_listing_showing_and_ending_exams_loads_no_dicom_library(tmp_path: Path) -> None:
    """``exam list`` and ``exam show`` read the outbox database only, and so does ``exam complete`` when no MPPS
    peer waits for the final N-SET; starting an exam (the MPPS data set) may load pydicom, the probe of this very
    test sees it."""
    code, heavy, out = _probe(["exam", "start", "--emergency", "female", "--json"], tmp_path)
    assert code == 0 and "pydicom" in heavy
    exam_id = json.loads(out)["exam_id"]
    for args in (["exam", "list"], ["exam", "list", "--json"], ["exam", "show", exam_id],
                 ["exam", "show", exam_id, "--json"]):
        code, heavy, out = _probe(args, tmp_path)
        assert code == 0, (args, code)
        assert exam_id in out, args
        assert heavy == [], f"smartbox {' '.join(args)} imported {heavy}"
    code, heavy, out = _probe(["exam", "complete", exam_id], tmp_path)
    assert code == 0 and exam_id in out
    assert heavy == [], f"smartbox exam complete imported {heavy}"


def test_a_real_echo_loads_no_dicom_library(tmp_path: Path) -> None:
    """``smartbox echo`` against a real DCMTK storescp speaks the upper layer itself (net/ulp.py): a whole
    verification (associate, C-ECHO, release), and neither pydicom, pynetdicom nor numpy is loaded; a failed one
    (nothing listens) loads none either."""
    import peers

    with peers.storescp(tmp_path / "received") as scp:
        code, heavy, out = _probe(["echo", scp.address, "--json"], tmp_path)
        assert code == 0, out
        assert json.loads(out)["status"] == 0
        assert heavy == [], f"smartbox echo imported {heavy}"
        assert "Association Release" in scp.log(), scp.log()  # released, not aborted
    code, heavy, _out = _probe(["echo", "PACS"], tmp_path)  # SMARTBOX_PEERS_PACS: nothing answers on port 9
    assert code == 1
    assert heavy == [], f"smartbox echo (failing) imported {heavy}"


def test_a_real_send_loads_no_dicom_library(tmp_path: Path) -> None:
    """``smartbox send FILE…`` to a real DCMTK storescp speaks C-STORE over the native upper layer (net/ulp.py,
    net/store_session.py): the objects arrive byte for byte, the association is released, and neither pydicom,
    pynetdicom nor numpy (nor httpx, the DICOMweb client) is loaded. An object that must be converted for the
    peer (Explicit VR LE to an Implicit-only storescp) is sent too: then fallback.py loads pydicom, and only
    pydicom's own dependencies — never pynetdicom."""
    import peers
    from fault_scp import make_native

    files = [tmp_path / "explicit.dcm", tmp_path / "implicit.dcm"]
    make_native(files[0], transfer_syntax="1.2.840.10008.1.2.1", nbytes=200_000)
    make_native(files[1], transfer_syntax="1.2.840.10008.1.2", nbytes=200_000, seed=2)
    with peers.storescp(tmp_path / "received") as scp:
        code, heavy, out = _probe(["send", *map(str, files), "--to", scp.address, "--json"], tmp_path)
        assert code == 0, out
        assert heavy == [], f"smartbox send imported {heavy}"
        assert json.loads(out.splitlines()[-1])["ok"] is True
        assert "Association Release" in scp.log(), scp.log()
        received = scp.received()
        assert len(received) == 2
        assert {p.read_bytes()[-150_000:] for p in received} == {f.read_bytes()[-150_000:] for f in files}
    with peers.storescp(tmp_path / "implicit-only", accept="implicit") as scp:
        code, heavy, out = _probe(["send", str(files[0]), "--to", scp.address, "--json"], tmp_path)
        assert code == 0, out
        assert "pydicom" in heavy and "pynetdicom" not in heavy, heavy
        assert len(scp.received()) == 1


def test_a_real_worklist_query_loads_no_dicom_library(tmp_path: Path) -> None:
    """``smartbox worklist`` against a real DCMTK wlmscpfs speaks C-FIND over the native upper layer
    (net/worklist.py) with the native identifier codec (dicom/identifier.py): the UTF-8 and Latin-1 answers
    are decoded, the association is released, and neither pydicom, pynetdicom nor numpy is loaded."""
    import peers
    from test_worklist_units import make_item

    wl_dir = tmp_path / "wl"
    peers.write_worklist_item(wl_dir, "WLMSCP", make_item("Müller^Jürgen", charset="ISO_IR 192", acc="A-1",
                                                          pid="P-1"), "a")
    peers.write_worklist_item(wl_dir, "WLMSCP", make_item("Weiß^Käthe", charset="ISO_IR 100", acc="A-2",
                                                          pid="P-2"), "b")
    with peers.wlmscpfs(wl_dir) as scp:
        code, heavy, out = _probe(["worklist", "--from", f"WLMSCP@127.0.0.1:{scp.port}", "--date", "any",
                                   "--any-station", "--json"], tmp_path)
        assert code == 0, out
        assert heavy == [], f"smartbox worklist imported {heavy}"
        items = [json.loads(line) for line in out.splitlines() if line.startswith("{")]  # one object per entry
        assert sorted(i["patient_name"] for i in items) == ["Müller^Jürgen", "Weiß^Käthe"]
        assert "Association Release" in scp.log_path.read_text(errors="replace")


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The probe itself works: a command that needs pydicom is seen to load it."""
    (tmp_path / "not.dcm").write_bytes(b"x")
    _code, heavy = _heavy_modules(["validate", str(tmp_path / "not.dcm")], tmp_path)
    assert "pydicom" in heavy


def test_the_help_table_is_each_commands_own_first_line() -> None:
    """``--help`` lists commands from a table (no import); it must say what each command's own help says."""
    import click

    from smartbox_next.cli._app import COMMAND_HELP, COMMAND_MODULES, cli

    ctx = click.Context(cli)
    assert set(COMMAND_HELP) == set(COMMAND_MODULES)
    for name in COMMAND_MODULES:
        cmd = cli.get_command(ctx, name)
        assert cmd is not None and cmd.help is not None
        assert cmd.help.strip().splitlines()[0] == COMMAND_HELP[name], name
