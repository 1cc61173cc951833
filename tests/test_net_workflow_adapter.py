"""The DIMSE-N part of the adapter (issue 14): command sets, data set encoding, the listener's rules, the checked
internals. The exchange itself is exercised against real associations in test_mpps.py / test_commitment.py."""

from __future__ import annotations

from io import BytesIO

import pytest
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset

from smartbox_next.net import adapter
from smartbox_next.net.adapter import (
    STORAGE_COMMITMENT_INSTANCE,
    STORAGE_COMMITMENT_PUSH_MODEL,
    WORKFLOW_CONTRACT,
    decode_dataset,
    encode_dataset,
    n_action_command,
    n_create_command,
    n_set_command,
    start_listener,
)
from smartbox_next.net.link import LinkSettings

MPPS = "1.2.840.10008.3.1.2.3.3"


def _command(raw: bytes) -> Dataset:
    return read_dataset(BytesIO(raw), is_implicit_VR=True, is_little_endian=True)


@pytest.mark.parametrize(("build", "field", "uid_keyword"), [
    (lambda: n_create_command(7, MPPS, "1.2.3"), 0x0140, "AffectedSOPInstanceUID"),
    (lambda: n_set_command(7, MPPS, "1.2.3"), 0x0120, "RequestedSOPInstanceUID"),
])
def test_mpps_command_sets(build: object, field: int, uid_keyword: str) -> None:
    cmd = _command(build())  # type: ignore[operator]
    assert (cmd.CommandField, cmd.MessageID, cmd.CommandDataSetType) == (field, 7, 0x0001)  # PS3.7 §10.3
    assert getattr(cmd, uid_keyword) == "1.2.3"
    assert MPPS in (cmd.get("AffectedSOPClassUID"), cmd.get("RequestedSOPClassUID"))


def test_n_action_command_set() -> None:
    cmd = _command(n_action_command(9, STORAGE_COMMITMENT_PUSH_MODEL, STORAGE_COMMITMENT_INSTANCE, 1))
    assert (cmd.CommandField, cmd.ActionTypeID, cmd.CommandDataSetType) == (0x0130, 1, 0x0001)
    assert (cmd.RequestedSOPClassUID, cmd.RequestedSOPInstanceUID) == (STORAGE_COMMITMENT_PUSH_MODEL,
                                                                       STORAGE_COMMITMENT_INSTANCE)


@pytest.mark.parametrize("ts", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"])
def test_data_sets_round_trip_in_both_little_endian_syntaxes(ts: str) -> None:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = "Müller^Jürgen"
    ds.TransactionUID = "1.2.3.4"
    back = decode_dataset(encode_dataset(ds, ts), ts)
    assert (str(back.PatientName), back.TransactionUID) == ("Müller^Jürgen", "1.2.3.4")


def test_malformed_or_foreign_data_sets_are_refused() -> None:
    with pytest.raises(ValueError):  # a Referenced SOP Sequence of undefined length holding no item tag
        decode_dataset(b"\x08\x00\x99\x11\xff\xff\xff\xff\x00\x00\x00\x00\x04\x00\x00\x00abcd", "1.2.840.10008.1.2")
    with pytest.raises(ValueError):
        encode_dataset(Dataset(), "1.2.840.10008.1.2.4.50")


def test_a_listener_without_permitted_peers_is_refused() -> None:
    with pytest.raises(ValueError):
        start_listener("BOX", LinkSettings(), host="127.0.0.1", port=0, calling_aes=[], on_event_report=lambda r: 0)


def test_the_internals_relied_on_exist() -> None:
    for owner, name, why in WORKFLOW_CONTRACT:
        assert hasattr(owner, name), (name, why)
    assert adapter.bind_event_reports.__doc__
