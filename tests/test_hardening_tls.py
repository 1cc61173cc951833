"""Hardening: DICOM over TLS verifies the peer's name and says why a handshake failed (issue 17, item 9).

Before: a certificate for another host from the trusted CA was accepted (host-name check off), with no CA
configured the system trust store was used (any public certificate would do), and every failure read
"nothing answers at … port N". Now: the trust model of ``net/tls.py`` — only the configured CA bundle
(``network.tls_ca_certificates``), the system store only with ``network.tls_system_ca = true``, the name
checked against the peer's host or ``[peers.NAME] tls_name`` — and one message per cause.

Real ``smartbox echo`` processes against DCMTK storescp with TLS (``+tls``), certificates made with openssl:
two CAs (one trusted, one not), server certificates for 127.0.0.1, for another name only, expired; a client
certificate. The "system store" is pointed at a CA of ours with ``SSL_CERT_FILE`` (OpenSSL's default path).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import peers
import pytest
from fault_scp import fault_scp
from processes import run_smartbox, station_env, wait_for

CA_CONFIG = """[ca]
default_ca = ca_default
[ca_default]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = none
unique_subject = no
[policy_any]
commonName = supplied
"""


def _openssl(d: Path, *args: str) -> None:
    exe = peers.require_tool("openssl")
    subprocess.run([exe, *args], cwd=d, check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def _ca(d: Path, name: str) -> None:
    _openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}")


def _cert(d: Path, name: str, ca: str, san: str, *, dates: tuple[str, str] | None = None) -> None:
    """A certificate ``name.crt`` (key ``name.key``) signed by ``ca`` with subjectAltName ``san``."""
    _openssl(d, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
    (d / f"{name}.ext").write_text(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n")
    if dates is None:
        _openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                 "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
        return
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    (d / "ca.cnf").write_text(CA_CONFIG)
    _openssl(d, "ca", "-batch", "-config", "ca.cnf", "-cert", f"{ca}.crt", "-keyfile", f"{ca}.key", "-in",
             f"{name}.csr", "-out", f"{name}.crt", "-startdate", dates[0], "-enddate", dates[1], "-extfile",
             f"{name}.ext", "-notext")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    _ca(d, "trusted")
    _ca(d, "stranger")
    _cert(d, "server", "trusted", "IP:127.0.0.1,DNS:pacs.test")
    _cert(d, "elsewhere", "trusted", "DNS:other.test")  # right CA, another host
    _cert(d, "foreign", "stranger", "IP:127.0.0.1")  # right host, unknown CA
    _cert(d, "expired", "trusted", "IP:127.0.0.1", dates=("20200101000000Z", "20200201000000Z"))
    _cert(d, "client", "trusted", "DNS:smartbox.test")
    return d


def _tls_scp(tmp_path: Path, pki: Path, cert: str, *, client_cert: bool = False) -> list[str]:
    """storescp TLS arguments: our server certificate, and whether it requires the station's certificate."""
    args = ["+tls", str(pki / f"{cert}.key"), str(pki / f"{cert}.crt")]
    return [*args, "+cf", str(pki / "trusted.crt"), "-rc"] if client_cert else [*args, "-ic"]


def _config(tmp_path: Path, address: str, *, tls: bool = True, tls_name: str = "", network: str = "") -> Path:
    peer = f'[peers.pacs]\naddress = "{address}"\ntls = {str(tls).lower()}\nroles = ["storage"]\n'
    if tls_name:
        peer += f'tls_name = "{tls_name}"\n'
    path = tmp_path / "smartbox.toml"
    path.write_text(f"[network]\n{network}\n{peer}")
    return path


def _ca_setting(pki: Path, ca: str = "trusted") -> str:
    return f'tls_ca_certificates = "{pki / f"{ca}.crt"}"\n'


def _echo(tmp_path: Path, config: Path, *, lang: str = "en", **extra: str) -> subprocess.CompletedProcess[str]:
    env = station_env(tmp_path / "data", lang=lang, SMARTBOX_CONFIG=str(config), **extra)
    done = run_smartbox("echo", "pacs", env=env, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _failed(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr
    assert "nothing answers at" not in done.stderr  # the old misreport of every TLS failure


# ------------------------------------------------------------------------------------ what must work


def test_the_configured_ca_and_the_host_name_verify_the_peer(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "server", client_cert=True)) as scp:
        network = _ca_setting(pki) + (f'tls_certificate = "{pki / "client.crt"}"\n'
                                      f'tls_private_key = "{pki / "client.key"}"\n')
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=network))
        assert done.returncode == 0, done.stderr


def test_an_expected_tls_name_serves_a_peer_addressed_by_ip(tmp_path: Path, pki: Path) -> None:
    """The certificate names other.test only; the PACS is addressed as 127.0.0.1: tls_name says whom to expect."""
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "elsewhere")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, tls_name="other.test", network=_ca_setting(pki)))
        assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------------------- what must be refused


def test_a_certificate_for_another_host_from_the_trusted_ca_is_refused(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "elsewhere")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=_ca_setting(pki)))
        _failed(done, "TLS certificate of", "is not issued for 127.0.0.1", "tls_name")
        assert scp.received() == []


def test_the_wrong_expected_name_is_refused_too(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "server")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, tls_name="other.test", network=_ca_setting(pki)))
        _failed(done, "is not issued for other.test")


def test_an_unknown_ca_is_named(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "foreign")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=_ca_setting(pki)), lang="de")
        _failed(done, "stammt nicht von einer CA, der diese Station vertraut", "network.tls_ca_certificates")


def test_an_expired_certificate_is_named(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "expired")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=_ca_setting(pki)))
        _failed(done, "TLS certificate of", "has expired")


def test_a_peer_that_requires_our_certificate_says_it_refused_us(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "server", client_cert=True)) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=_ca_setting(pki)))  # no client certificate
        _failed(done, "refused the TLS connection", "network.tls_certificate")


def test_tls_to_a_plain_dicom_port_is_named(tmp_path: Path, pki: Path) -> None:
    """DCMTK resets the connection on our ClientHello ("Unrecognized PDU type: 16")."""
    with peers.storescp(tmp_path / "recv") as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=_ca_setting(pki)))
        _failed(done, "during the TLS handshake", f"probably does not speak TLS on port {scp.port}", "tls = false")


def test_tls_to_a_plain_dicom_peer_that_aborts_is_named(tmp_path: Path, pki: Path) -> None:
    """pynetdicom answers our ClientHello with an A-ABORT PDU: no TLS record at all."""
    with fault_scp() as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=_ca_setting(pki)))
        _failed(done, f"does not answer with TLS on port {scp.port}", "tls = false")


def test_plain_dicom_to_a_tls_port_is_named(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "server")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, tls=False))
        _failed(done, "tls = true")


# ------------------------------------------------------------------------------------ the trust store


def test_no_ca_configured_is_refused_before_connecting_not_checked_against_the_system_store(
        tmp_path: Path, pki: Path) -> None:
    """With the 'system store' trusting our CA, a peer that it would accept is still refused: no silent fallback."""
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "server")) as scp:
        wait_for(lambda: "Receiving Association failed" in scp.log(), 10)  # the fixture's own port probe
        before = scp.log()
        done = _echo(tmp_path, _config(tmp_path, scp.address), SSL_CERT_FILE=str(pki / "trusted.crt"))
        _failed(done, "no CA is configured", "network.tls_system_ca")
        assert scp.log() == before  # not even a connection


def test_the_system_store_is_used_when_opted_into(tmp_path: Path, pki: Path) -> None:
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "server")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network="tls_system_ca = true\n"),
                     SSL_CERT_FILE=str(pki / "trusted.crt"))
        assert done.returncode == 0, done.stderr


def test_a_configured_ca_replaces_the_system_store(tmp_path: Path, pki: Path) -> None:
    """The bundle is the whole trust: the system store (trusting the server's CA) is not added behind it."""
    with peers.storescp(tmp_path / "recv", extra_args=_tls_scp(tmp_path, pki, "server")) as scp:
        done = _echo(tmp_path, _config(tmp_path, scp.address, network=_ca_setting(pki, "stranger")),
                     SSL_CERT_FILE=str(pki / "trusted.crt"))
        _failed(done, "is not issued by a CA this station trusts")


# ------------------------------------------------------------------------------------ the setting


def test_tls_name_is_checked_and_kept_where_the_address_comes_from_the_environment() -> None:
    from smartbox_next.config import as_toml_dict, config_from_mapping
    from smartbox_next.errors import ConfigError

    table = {"peers": {"pacs": {"address": "PACS@10.1.2.3:2762", "tls": True, "tls_name": "pacs.hospital.example"}}}
    config = config_from_mapping(table, {"SMARTBOX_PEERS_PACS": "PACS@10.1.2.4:2762"})
    peer = config.peer("pacs")
    assert (peer.host, peer.tls, peer.expected_tls_name) == ("10.1.2.4", True, "pacs.hospital.example")
    assert as_toml_dict(config)["peers"]["pacs"]["tls_name"] == "pacs.hospital.example"
    plain = config_from_mapping({"peers": {"pacs": {"address": "PACS@10.1.2.3:2762"}}})
    assert plain.peer("pacs").expected_tls_name == "10.1.2.3" and "tls_name" not in as_toml_dict(plain)["peers"]["pacs"]
    for bad in ("pacs hospital", "-pacs.example", "a" * 64 + ".example", "pacs/..", 42):
        with pytest.raises(ConfigError) as refused:
            config_from_mapping({"peers": {"pacs": {"address": "PACS@10.1.2.3:2762", "tls_name": bad}}})
        assert "peers.pacs.tls_name" in refused.value.text("en")
