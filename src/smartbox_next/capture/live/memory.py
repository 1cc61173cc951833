"""Frame-sized buffers go back to the operating system when freed (glibc's malloc; the station's process only).

glibc serves allocations above its *mmap threshold* by ``mmap`` and returns them to the kernel on ``free``; but
the threshold adapts: after such a block is freed it rises to that block's size (up to 32 MiB). From then on
the live frames' 3–6 MB buffers (a 1080p YUV frame, the RGB of a still) come from the heap of whichever thread
allocates them, and with the source, the encoder, the press and the web threads interleaving small allocations
between them, freed frames are not reused: the 30-minute 1080p recording with a still every 30 s grew from 241
to 561 MB, 40 stills during a recording by 239 MiB. Pinning the threshold (which also stops its adaptation)
keeps every frame buffer its own mapping: the same 40 stills grow the process by < 1 MiB
(``tests/test_station_memory.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

LOG = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt parameter (glibc malloc.h)
FRAME_MMAP_THRESHOLD = 1024 * 1024  # blocks of 1 MiB and more: their own mapping (a 720p Y plane is ~0.9 MB)


def pin_mmap_threshold(threshold: int = FRAME_MMAP_THRESHOLD) -> bool:
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
