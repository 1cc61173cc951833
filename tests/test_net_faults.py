"""Faults real peers cannot script, from the pynetdicom fault SCP: statuses, abort mid-transfer, silence, AE reject."""

from __future__ import annotations

from pathlib import Path

from fault_scp import fault_scp, make_native

from smartbox_next.config import Config, config_from_mapping
from smartbox_next.delivery.direct import deliver
from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import (
    AssociationAbortedError,
    AssociationRejectedError,
    ResponseTimeoutError,
    StoreError,
)
from smartbox_next.net.link import LinkSettings
from smartbox_next.net.store import Outcome, store_files


def _config(**network: float) -> Config:
    return config_from_mapping({"network": dict(network),
                                "retry": {"initial_delay": 0, "max_delay": 0, "jitter": 0}})


def _link(**network: float) -> LinkSettings:
    config = _config(**network)
    return LinkSettings.of(config.station, config.network)


def test_a700_then_success_is_retried_and_delivered(tmp_path: Path) -> None:
    ds = make_native(tmp_path / "a.dcm")
    waits: list[float] = []
    with fault_scp(statuses=[0xA700, 0x0000], comment="disk full") as scp:
        result = deliver(_config(), Peer.parse(scp.address), [tmp_path / "a.dcm"],
                         policy=RetryPolicy(max_attempts=3, initial_delay=0.0, jitter=0.0), sleep=waits.append)
        assert result.ok and result.attempts == 2 and waits == [0.0]
        assert scp.received == [ds.SOPInstanceUID, ds.SOPInstanceUID]


def test_c000_is_permanent_with_status_and_comment(tmp_path: Path) -> None:
    make_native(tmp_path / "a.dcm")
    with fault_scp(statuses=[0xC000], comment="cannot parse (0010,0010)") as scp:
        result = deliver(_config(), Peer.parse(scp.address), [tmp_path / "a.dcm"], sleep=lambda s: None)
        r = result.results[0]
        assert r.outcome is Outcome.FAILED and result.attempts == 1 and len(scp.received) == 1
        assert isinstance(r.error, StoreError) and not r.retryable and r.error.status == 0xC000
        for lang in ("en", "de"):
            assert "0xC000" in r.error.text(lang) and "cannot parse (0010,0010)" in r.error.text(lang)


def test_warning_b000_counts_as_stored_and_is_recorded(tmp_path: Path) -> None:
    make_native(tmp_path / "a.dcm")
    make_native(tmp_path / "b.dcm", seed=1)
    with fault_scp(statuses=[0xB000, 0x0000], comment="coerced PatientName") as scp:
        batch = store_files(_link(), Peer.parse(scp.address), [tmp_path / "a.dcm", tmp_path / "b.dcm"])
        assert batch.ok
        first, second = batch.results
        assert first.outcome is Outcome.WARNING and first.status == 0xB000 and first.warning is not None
        assert "coerced PatientName" in first.warning.text("de")
        assert second.outcome is Outcome.STORED


def test_abort_mid_transfer_is_retryable(tmp_path: Path) -> None:
    make_native(tmp_path / "big.dcm", nbytes=3_000_000)
    make_native(tmp_path / "next.dcm", seed=4)
    with fault_scp(mode="abort", abort_after_pdus=5) as scp:
        batch = store_files(_link(), Peer.parse(scp.address), [tmp_path / "big.dcm", tmp_path / "next.dcm"])
        for r in batch.results:  # the broken one and the untried one: both retryable
            assert r.outcome is Outcome.FAILED and r.retryable
            assert isinstance(r.error, AssociationAbortedError)


def test_silent_peer_times_out(tmp_path: Path) -> None:
    make_native(tmp_path / "a.dcm")
    with fault_scp(mode="silent") as scp:
        batch = store_files(_link(dimse_timeout=0.5), Peer.parse(scp.address), [tmp_path / "a.dcm"])
        r = batch.results[0]
        assert isinstance(r.error, ResponseTimeoutError) and r.retryable


def test_rejected_calling_ae_is_permanent_and_bilingual(tmp_path: Path) -> None:
    make_native(tmp_path / "a.dcm")
    with fault_scp(require_calling_aet=["SOMEONE"]) as scp:
        batch = store_files(_link(), Peer.parse(scp.address), [tmp_path / "a.dcm"])
        error = batch.results[0].error
        assert isinstance(error, AssociationRejectedError) and not error.retryable
        assert error.key == "net.rejected.calling_ae"
        assert "AE title is not recognised" in error.text("en") and "AE-Titel" in error.text("de")
