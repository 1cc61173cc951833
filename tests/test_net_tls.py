"""DICOM over TLS (PS3.15 B.1/B.9) against DCMTK storescp with TLS on loopback; throwaway CA made with openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import peers
import pydicom
from fault_scp import make_native

from smartbox_next.config import config_from_mapping
from smartbox_next.net.echo import echo
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.store import store_files


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _pki(d: Path) -> None:
    """CA, server and client certificates (EC P-256, valid one day), all unencrypted PEM."""
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=Test CA", cwd=d)
    for name in ("server", "client"):
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        (d / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.crt", "-days", "1", "-extfile", f"{name}.ext", cwd=d)


def test_tls_echo_and_store(tmp_path: Path) -> None:
    peers.require_tool("openssl")  # fails under CI=true, never a silent skip there
    pki = tmp_path / "pki"
    pki.mkdir()
    _pki(pki)
    tls_args = ["+tls", str(pki / "server.key"), str(pki / "server.crt"), "+cf", str(pki / "ca.crt")]
    with peers.storescp(tmp_path / "received", extra_args=tls_args) as scp:
        config = config_from_mapping({
            "network": {"tls_certificate": str(pki / "client.crt"), "tls_private_key": str(pki / "client.key"),
                        "tls_ca_certificates": str(pki / "ca.crt")},
            "peers": {"secure": {"address": scp.address, "tls": True}},
        })
        peer = config.peer("secure")
        assert peer.tls
        link = LinkSettings.of(config.station, config.network)
        assert echo(link, peer).status == 0
        ds = make_native(tmp_path / "a.dcm", nbytes=2_000_000)
        batch = store_files(link, peer, [tmp_path / "a.dcm"])
        assert batch.ok, batch.results[0].error
        got = pydicom.dcmread(scp.received()[0])
        assert got.SOPInstanceUID == ds.SOPInstanceUID and got.PixelData == ds.PixelData
        assert "TLS" in scp.log() or "tls" in scp.log().lower()
