"""UIDs (PS3.5 §9.1, B.2): root validation, ≤ 64 characters, unique across threads and processes."""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartbox_next.dicom.uid import (
    IMPLEMENTATION_CLASS_UID,
    IMPLEMENTATION_VERSION_NAME,
    MAX_ROOT_LENGTH,
    check_root,
    generate_uid,
    is_valid_uid,
)
from smartbox_next.errors import ConfigError
from smartbox_next.messages import printable

ROOTS = ["", "1", "0", "1.2", "1.2.276.0.7230010.3", "2.16.840.1.113883", "1.2." + "3" * 36]


@pytest.mark.parametrize("uid", ["1.2.840.10008.1.2", "0", "0.0", "2.25.0", "1." + "2" * 62, "1.0.1"])
def test_valid_uids(uid: str) -> None:
    assert is_valid_uid(uid)


@pytest.mark.parametrize("uid", ["", "1.", ".1", "1..2", "01.2", "1.02", "1.2a", "1 .2", "1.2\x00", "1." + "2" * 63,
                                 "１.２", "-1.2", "1,2", "1.2\n", "\n1.2"])
def test_invalid_uids(uid: str) -> None:
    assert not is_valid_uid(uid)


@pytest.mark.parametrize("root", ROOTS)
def test_good_roots(root: str) -> None:
    check_root(root)
    uid = generate_uid(root)
    assert is_valid_uid(uid) and len(uid) <= 64
    assert uid.startswith(f"{root}." if root else "2.25.")


@pytest.mark.parametrize("root", ["01", "1.02", "1..2", "1.2.", ".1", "1.2.x", "1 2", "1." + "2" * 39, "٣.٤", "1.2\n"])
def test_bad_roots(root: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_root(root)
    assert info.value.key == "uid.bad_root"
    shown = printable(root)  # control characters are escaped in every message
    assert shown in info.value.text("en") and shown in info.value.text("de")
    with pytest.raises(ConfigError):
        generate_uid(root)


def test_root_length_limit_is_40() -> None:
    assert MAX_ROOT_LENGTH == 40
    check_root("1." + "2" * 38)
    with pytest.raises(ConfigError):
        check_root("1." + "2" * 39)


def test_uuid_form() -> None:
    uid = generate_uid()
    assert re.fullmatch(r"2\.25\.(0|[1-9][0-9]{0,38})", uid), uid
    assert int(uid[5:]) < 2**128


def test_implementation_identity() -> None:
    # the product's own fixed UID (issue 11), not one under pydicom's registered root
    assert is_valid_uid(IMPLEMENTATION_CLASS_UID) and IMPLEMENTATION_CLASS_UID.startswith("2.25.")
    assert not IMPLEMENTATION_CLASS_UID.startswith("1.2.826.0.1.3680043.8.498.")
    assert len(IMPLEMENTATION_VERSION_NAME) <= 16


def _many(args: tuple[str, int]) -> list[str]:
    root, n = args
    return [generate_uid(root) for _ in range(n)]


@pytest.mark.parametrize("root", ["", "1.2.276.0.7230010.3", "1." + "2" * 38])
def test_unique_across_threads(root: str) -> None:
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(_many, [(root, 5000)] * 8))
    uids = [u for batch in batches for u in batch]
    assert len(uids) == 40_000 and len(set(uids)) == 40_000
    assert all(is_valid_uid(u) for u in uids)


def test_unique_across_processes() -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        batches = pool.map(_many, [("", 5000), ("", 5000), ("1.2.3", 5000), ("1.2.3", 5000)])
    uids = [u for batch in batches for u in batch]
    assert len(uids) == 20_000 and len(set(uids)) == 20_000
    assert all(is_valid_uid(u) and len(u) <= 64 for u in uids)


_component = st.one_of(st.just("0"), st.integers(1, 10**12).map(str))
_roots = st.lists(_component, min_size=1, max_size=12).map(".".join).filter(lambda r: len(r) <= MAX_ROOT_LENGTH)


@given(_roots)
def test_any_valid_root_gives_valid_uids(root: str) -> None:
    check_root(root)
    for _ in range(5):
        uid = generate_uid(root)
        assert is_valid_uid(uid) and len(uid) <= 64 and uid.startswith(root + ".")


@given(st.text(alphabet="0123456789.", max_size=50))
def test_check_root_agrees_with_is_valid_uid(root: str) -> None:
    ok = root == "" or (is_valid_uid(root) and len(root) <= MAX_ROOT_LENGTH)
    if ok:
        check_root(root)
    else:
        with pytest.raises(ConfigError):
            check_root(root)


@given(st.text(max_size=70))
def test_is_valid_uid_never_accepts_junk(text: str) -> None:
    if is_valid_uid(text):
        assert re.fullmatch(r"[0-9.]{1,64}", text) and ".." not in text
        assert not any(c.startswith("0") and c != "0" for c in text.split("."))
