"""Unit tests of the sending logic that need no peer: retry policy, status mapping, context planning, fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_scp import make_native, make_video
from hypothesis import given
from hypothesis import strategies as st

from smartbox_next.delivery.retry import RetryPolicy
from smartbox_next.dicom.part10 import ObjectInfo, read_object_info
from smartbox_next.dicom.peer import Peer
from smartbox_next.errors import AssociationRejectedError, StoreError
from smartbox_next.messages import CATALOGUE, placeholders
from smartbox_next.net.adapter import store_command
from smartbox_next.net.contexts import pairs_for, plan_associations
from smartbox_next.net.fallback import conversions, prepare
from smartbox_next.net.store import Outcome, classify_status

PEER = Peer.parse("PACS@127.0.0.1:104")
EXPLICIT, IMPLICIT, JPEG = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.4.50"
H264, H264_FRAG = "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.102.1"


def test_net_messages_bilingual_with_same_placeholders() -> None:
    for key, msg in CATALOGUE.items():
        if key.split(".")[0] in {"net", "store", "send", "echo"}:
            assert placeholders(msg.en) == placeholders(msg.de), key
            assert placeholders(msg.hint_en) == placeholders(msg.hint_de), key


@given(attempt=st.integers(1, 200), r=st.floats(0, 1))
def test_delay_is_capped_and_jittered(attempt: int, r: float) -> None:
    policy = RetryPolicy(max_attempts=500, initial_delay=2.0, max_delay=60.0, jitter=0.25)
    base = policy.base_delay(attempt)
    assert base == min(60.0, 2.0 * 2 ** (attempt - 1))
    d = policy.delay(attempt, rng=lambda: r)
    assert 0.0 <= d <= 60.0
    assert base * 0.75 - 1e-9 <= d <= base * 1.25 + 1e-9


def test_retry_decides_from_retryable_only() -> None:
    policy = RetryPolicy(max_attempts=3, initial_delay=1.0, max_delay=10.0, max_total=100.0, jitter=0.0)
    transient = StoreError("store.out_of_resources", retryable=True, status=0xA700)
    permanent = StoreError("store.cannot_understand", status=0xC000)
    assert policy.next_delay(transient, 1, 0.0) == 1.0
    assert policy.next_delay(transient, 2, 0.0) == 2.0
    assert policy.next_delay(transient, 3, 0.0) is None  # max attempts
    assert policy.next_delay(transient, 1, 99.5) is None  # max total time
    assert policy.next_delay(permanent, 1, 0.0) is None
    assert policy.next_delay(ValueError("x"), 1, 0.0) is None
    rejected = AssociationRejectedError("net.rejected.calling_ae", retryable=False)
    assert policy.next_delay(rejected, 1, 0.0) is None


@pytest.mark.parametrize(("status", "outcome", "key", "retryable"), [
    (0x0000, Outcome.STORED, None, False),
    (0xB000, Outcome.WARNING, "store.warning", False),
    (0xB006, Outcome.WARNING, "store.warning", False),
    (0xB007, Outcome.WARNING, "store.warning", False),
    (0x0001, Outcome.WARNING, "store.warning", False),
    (0xA700, Outcome.FAILED, "store.out_of_resources", True),
    (0xA7FF, Outcome.FAILED, "store.out_of_resources", True),
    (0xA900, Outcome.FAILED, "store.does_not_match", False),
    (0xC000, Outcome.FAILED, "store.cannot_understand", False),
    (0xCFFF, Outcome.FAILED, "store.cannot_understand", False),
    (0x0122, Outcome.FAILED, "store.sop_class_not_supported", False),
    (0x0124, Outcome.FAILED, "store.not_authorized", False),
    (0x0117, Outcome.FAILED, "store.invalid_instance", False),
    (0x0211, Outcome.FAILED, "store.protocol_error", True),
    (0xFE00, Outcome.FAILED, "store.failed", False),
])
def test_status_mapping_ps3_4_b_2_3(status: int, outcome: Outcome, key: str | None, retryable: bool) -> None:
    got, error = classify_status(status, "disk full", PEER, "1.2.3")
    assert got is outcome
    if key is None:
        assert error is None
        return
    assert error is not None and error.key == key and error.retryable is retryable
    assert error.status == status
    assert f"0x{status:04X}" in error.text("en") and f"0x{status:04X}" in error.text("de")
    assert "disk full" in error.text("en") and "disk full" in error.text("de")


def test_store_command_is_implicit_le_group_0000() -> None:
    cmd = store_command(7, "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4")
    assert cmd[:4] == b"\x00\x00\x00\x00"  # (0000,0000) Command Group Length, implicit VR
    assert b"1.2.3.4" in cmd


def _info(sop: str, ts: str, i: int = 0) -> ObjectInfo:
    return ObjectInfo(Path(f"/x/{i}"), sop, f"1.2.{i}", ts, 200, 1000)


def test_contexts_own_syntax_plus_conversions() -> None:
    sc = "1.2.840.10008.5.1.4.1.1.7"
    assert pairs_for(_info(sc, JPEG)) == [(sc, JPEG), (sc, EXPLICIT), (sc, IMPLICIT)]
    assert pairs_for(_info(sc, IMPLICIT)) == [(sc, IMPLICIT), (sc, EXPLICIT)]
    video = pairs_for(_info("1.2.840.10008.5.1.4.1.1.77.1.1.1", H264))
    assert video[:2] == [("1.2.840.10008.5.1.4.1.1.77.1.1.1", H264), ("1.2.840.10008.5.1.4.1.1.77.1.1.1", H264_FRAG)]
    assert all(ts not in (EXPLICIT, IMPLICIT) for _, ts in video)  # lossy waiver, PS3.5 §10.1
    assert ("1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.1.2.4.50") in pairs_for(_info(sc, "1.2.840.10008.1.2.4.51"))


def test_more_than_128_contexts_split_into_associations() -> None:
    objects = [_info(f"1.2.840.10008.5.1.4.1.1.{i}", JPEG, i) for i in range(100)]  # 3 contexts each
    plans = plan_associations(objects)
    assert len(plans) == 3
    assert all(len(p.pairs) <= 128 for p in plans)
    assert sorted(o.sop_instance_uid for p in plans for o in p.objects) == sorted(o.sop_instance_uid for o in objects)
    one_kind = [_info("1.2.840.10008.5.1.4.1.1.7", JPEG, i) for i in range(500)]
    assert len(plan_associations(one_kind)) == 1  # one association per batch, not per file


def _segments_bytes(payload: object) -> bytes:
    out = b""
    for seg in payload.segments:  # type: ignore[attr-defined]
        if isinstance(seg, bytes):
            out += seg
        else:
            with seg.path.open("rb") as fh:
                fh.seek(seg.offset)
                out += fh.read(seg.length)
    return out


@pytest.mark.parametrize(("src", "dst"), [(EXPLICIT, IMPLICIT), (IMPLICIT, EXPLICIT)])
def test_native_conversion_streams_pixels_and_reencodes_the_rest(tmp_path: Path, src: str, dst: str) -> None:
    import pydicom
    from pydicom.filereader import read_dataset

    ds = make_native(tmp_path / "a.dcm", transfer_syntax=src, nbytes=30_000)
    obj = read_object_info(tmp_path / "a.dcm")
    payload = prepare(obj, dst, tmp_path, None)
    assert payload.transfer_syntax == dst and payload.conversion
    from io import BytesIO
    back = read_dataset(BytesIO(_segments_bytes(payload)), dst == IMPLICIT, True)
    assert back.SOPInstanceUID == ds.SOPInstanceUID
    assert back.PixelData == ds.PixelData
    assert back.SmallestImagePixelValue == 0
    assert pydicom.dcmread(tmp_path / "a.dcm").PixelData == ds.PixelData


def test_fragmented_video_rewrapped_to_non_fragmentable_twin(tmp_path: Path) -> None:
    from io import BytesIO

    from pydicom.encaps import generate_fragments
    from pydicom.filereader import read_dataset

    make_video(tmp_path / "v.dcm", transfer_syntax=H264_FRAG, nbytes=50_000, fragments=4)
    obj = read_object_info(tmp_path / "v.dcm")
    assert H264 in conversions(H264_FRAG, None)
    payload = prepare(obj, H264, tmp_path, None)
    back = read_dataset(BytesIO(_segments_bytes(payload)), False, True)
    frags = list(generate_fragments(back.PixelData))
    assert len(frags) == 2 and frags[0] == b""  # empty Basic Offset Table + one fragment
    import pydicom
    original = b"".join(generate_fragments(pydicom.dcmread(tmp_path / "v.dcm").PixelData))
    assert frags[1] == original


def test_not_dicom_is_reported(tmp_path: Path) -> None:
    from smartbox_next.errors import MediaError

    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(MediaError) as info:
        read_object_info(tmp_path / "x.txt")
    assert info.value.key == "send.not_dicom" and not info.value.retryable


def test_pdv_limit_never_exceeds_the_peer_nor_our_cap() -> None:
    from smartbox_next.net.stream import UNLIMITED_PDV, pdv_limit

    assert pdv_limit(16384) == 16378  # PS3.8 D.1: item length, context ID and control header take 6 bytes
    assert pdv_limit(0) == UNLIMITED_PDV  # 0 = no limit
    assert pdv_limit(2**32 - 1) == UNLIMITED_PDV  # a peer's huge value must not make us buffer a whole object


def test_locked_writes_carry_whole_pdus_of_bounded_size() -> None:
    from types import SimpleNamespace

    from smartbox_next.net import stream

    writes: list[list[bytes]] = []
    sock = SimpleNamespace(send=lambda parts, between=None: writes.append([bytes(p) for p in parts]))
    session = SimpleNamespace(link=SimpleNamespace(pdu_socket=lambda: sock, touch=lambda: None))
    sink = stream._Sink(session, 1.0)  # type: ignore[arg-type]
    parts: list[bytes | memoryview] = []
    for _ in range(10):
        parts += [b"h" * 12, b"d" * 16378]
    sink.write(parts)
    assert [len(w) for w in writes] == [8, 8, 4]  # 4 + 4 + 2 PDUs: each write reaches 64 KiB or ends the block
    assert b"".join(b"".join(w) for w in writes) == b"".join(parts)
