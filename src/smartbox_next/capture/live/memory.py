"""Frame-sized buffers go back to the operating system when freed (glibc's malloc; the station's process only).

glibc serves allocations above its *mmap threshold* by ``mmap`` and returns them to the kernel on ``free``; but
the threshold adapts: after such a block is freed it rises to that block's size (up to 32 MiB). From then on
the live frames' 3–6 MB buffers (a 1080p YUV frame, the RGB of a still) come from the heap of whichever thread
allocates them, and with the source, the encoder, the press and the web threads interleaving small allocations
between them, freed frames are not reused: the 30-minute 1080p recording with a still every 30 s grew from 241
to 561 MB, 40 stills during a recording by 239 MiB. Pinning the threshold (which also stops its adaptation)
keeps such buffers their own mappings: the same 40 stills grow the process by a few MiB
(``tests/test_station_memory.py``).

Where to pin it: just above the live frame's own size (:func:`frame_threshold`). A mapping per buffer costs
page faults and zeroed pages on every allocation; pinned at 1 MiB, every 1080p frame (25 a second, and each
consumer's copy) became one, and a 1080p recording took 82 % of a core instead of 54 %. Above the frame size the
frames stay in the heap, where they are reused (a recording alone never grew), and what a still allocates
beyond them — the RGB picture and Pillow's image, twice a YUV frame — is mapped and returned.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

LOG = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt parameter (glibc malloc.h)
MIN_THRESHOLD = 1024 * 1024
MAX_THRESHOLD = 32 * 1024 * 1024  # glibc's own ceiling for the adaptive threshold (DEFAULT_MMAP_THRESHOLD_MAX)


def frame_threshold(width: int, height: int) -> int:
    """Above a ``width``×``height`` frame in the largest live layout (YUYV 4:2:2, two bytes a pixel) and below
    its RGB picture (three bytes a pixel): 4.4 MB for 1080p, 2.1 MB for 720p."""
    return max(MIN_THRESHOLD, min(MAX_THRESHOLD, width * height * 2 + 256 * 1024))


def pin_mmap_threshold(threshold: int) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes; False (logged) where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None) if libc is not None else None
    except OSError:
        mallopt = None
    if mallopt is None:
        LOG.info("C library without mallopt (%s): frame buffers are left to its allocator", name or "unknown")
        return False
    ok = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if not ok:
        LOG.warning("mallopt(M_MMAP_THRESHOLD, %d) refused: frame buffers may stay with the heap", threshold)
    return ok
