"""A data set as stored bytes: Explicit VR Little Endian without File Meta (messages kept in the outbox database).

A workflow message (MPPS attribute list, commitment request) is encoded once, when it is queued, and sent as
stored — re-encoded only into the transfer syntax the peer accepted (PS3.5 §10).
"""

from __future__ import annotations

from io import BytesIO

from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset


def to_bytes(ds: Dataset) -> bytes:
    """``ds`` as Explicit VR Little Endian bytes."""
    buf = DicomBytesIO()
    buf.is_little_endian = True
    buf.is_implicit_VR = False
    write_dataset(buf, ds)
    return buf.getvalue()


def from_bytes(raw: bytes) -> Dataset:
    """The data set :func:`to_bytes` wrote."""
    return read_dataset(BytesIO(raw), is_implicit_VR=False, is_little_endian=True)
