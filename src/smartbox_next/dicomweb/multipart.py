"""The STOW-RS request body: ``multipart/related; type="application/dicom"`` (PS3.18 §8.6.1.2, §10.5.1; RFC 2387).

One part per Part 10 file, each with ``Content-Type: application/dicom`` and the file's bytes unchanged. The body
is a list of segments (literal bytes and whole files), so its length is known before the first byte is sent
(``Content-Length``, no chunked encoding: every origin server reads that) and the files are streamed in bounded
blocks when the HTTP client asks for the next one — a slow server holds the sender back through the socket's
send buffer, and memory stays at one block whatever the object size (DESIGN principle 6).

Layout (RFC 2046 §5.1.1: the CRLF before a delimiter belongs to it)::

    --B CRLF Content-Type: application/dicom CRLF CRLF <file 1> CRLF --B CRLF … <file n> CRLF --B-- CRLF

The boundary is random (128 bits): it cannot be checked against gigabytes of pixel data without reading them
twice, and a collision is as unlikely as a UID clash.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

BLOCK = 1024 * 1024  # bytes handed to the HTTP client at a time: the only per-transfer allocation
PART_TYPE = "application/dicom"

PartProgress = Callable[[int, int], None]  # (index of the part, bytes of that part's file sent so far)


class FileChangedError(OSError):
    """A file ended early or grew while it was being sent: the request is incomplete and must not be trusted."""


@dataclass(frozen=True)
class Part:
    """One file of the body and its size when the body was planned."""

    path: Path
    size: int


def boundary() -> str:
    """A fresh boundary (RFC 2046 §5.1.1: 1-70 characters from the safe set)."""
    return f"smartbox-{secrets.token_hex(16)}"


@dataclass(frozen=True)
class MultipartBody:
    """The body of one STOW-RS request (see the module docstring)."""

    parts: tuple[Part, ...]
    boundary: str

    @classmethod
    def of(cls, paths: Sequence[Path], boundary_text: str | None = None) -> MultipartBody:
        return cls(tuple(Part(Path(p), os.stat(p).st_size) for p in paths), boundary_text or boundary())

    @property
    def content_type(self) -> str:
        """The request's Content-Type (PS3.18 §10.5.1.1)."""
        return f'multipart/related; type="{PART_TYPE}"; boundary={self.boundary}'

    def _head(self, index: int) -> bytes:
        lead = b"" if index == 0 else b"\r\n"
        return lead + f"--{self.boundary}\r\nContent-Type: {PART_TYPE}\r\n\r\n".encode("ascii")

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def length(self) -> int:
        """Exact byte length of the body (the Content-Length)."""
        return sum(len(self._head(i)) + p.size for i, p in enumerate(self.parts)) + len(self._tail())

    def chunks(self, on_part: PartProgress | None = None, block: int = BLOCK) -> Iterator[bytes]:
        """The body in blocks of at most ``block`` bytes, reading each file only when the next block is asked for.

        ``on_part(i, n)`` is called with the bytes of part ``i`` handed on so far. Raises FileChangedError when a
        file is shorter or longer than when the body was planned.
        """
        for i, part in enumerate(self.parts):
            yield self._head(i)
            if on_part is not None:
                on_part(i, 0)
            with part.path.open("rb", buffering=0) as fh:
                yield from _file_blocks(fh, part, block, i, on_part)
        yield self._tail()

    def write_to(self, out: BinaryIO) -> int:
        """Write the whole body to ``out`` (the benchmark's prepared body for ``curl``); returns its length."""
        n = 0
        for chunk in self.chunks():
            out.write(chunk)
            n += len(chunk)
        return n


def _file_blocks(fh: BinaryIO, part: Part, block: int, index: int, on_part: PartProgress | None) -> Iterator[bytes]:
    done = 0
    while done < part.size:
        data = fh.read(min(block, part.size - done))
        if not data:
            raise FileChangedError(f"{part.path} ended after {done} of {part.size} bytes")
        done += len(data)
        yield data
        if on_part is not None:
            on_part(index, done)
    if fh.read(1):
        raise FileChangedError(f"{part.path} grew beyond {part.size} bytes while it was sent")
