"""One live frame, several threads: the preview, stills and the recorder convert the same PyAV frame at once.

The defect this reproduces (seen as a photo press that never came back, in the browser tests under load): PyAV
converts a frame with swscale on a context cached in the frame, with the GIL released, and changes the frame's
colour tags meanwhile. The preview and a still converting one frame together hung in swscale's slice threads or
crashed the process (SIGSEGV). Run in a child process, so that a hang or a crash is a failed test, not a hung
suite; the timeout only detects the hang (a correct run takes seconds).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import threading
    import av
    from smartbox_next.capture.live.frames import LiveFrame, still_jpeg
    from smartbox_next.capture.live.pattern import TestPattern
    from smartbox_next.capture.live.frames import FrameHub
    from smartbox_next.capture.live.preview import PreviewEncoder

    pattern = TestPattern(1280, 720, 25.0)
    preview = PreviewEncoder(FrameHub(), max_width=640)
    for n in range({rounds}):
        frame = LiveFrame(av.VideoFrame.from_ndarray(pattern.frame(n), format="yuv420p"), n + 1, 0.0, 25.0)
        work = [lambda: preview.jpeg(frame), lambda: still_jpeg(frame, 90), lambda: still_jpeg(frame, 90),
                lambda: frame.converted("yuv420p")]  # the recorder's own copy
        threads = [threading.Thread(target=w) for w in work]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print("converted", {rounds})
""")


def test_the_preview_stills_and_the_recorder_convert_one_frame_at_once() -> None:
    rounds = 150  # before the fix: a hang or SIGSEGV within the first hundred, every run
    try:
        done = subprocess.run([sys.executable, "-c", SCRIPT.format(rounds=rounds)], capture_output=True, text=True,
                              timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the conversions hung (swscale used by two threads at once)")
    assert done.returncode == 0, f"exit {done.returncode} (-11: SIGSEGV): {done.stderr[-2000:]}"
    assert done.stdout.strip() == f"converted {rounds}"


def test_a_frame_already_in_the_asked_format_is_copied_not_shared() -> None:
    import av
    import numpy as np

    from smartbox_next.capture.live.frames import LiveFrame
    from smartbox_next.capture.live.pattern import TestPattern

    shared = av.VideoFrame.from_ndarray(TestPattern(64, 64, 25.0).frame(0), format="yuv420p")
    shared.pts = 7
    lf = LiveFrame(shared, 1, 0.0, 25.0)
    own = lf.converted("yuv420p")
    assert own is not shared
    own.pts = 99  # the recorder numbers its frames: the preview's frame keeps its own
    assert shared.pts == 7
    assert bytes(own.planes[0]) == bytes(shared.planes[0])
    grey = np.arange(64 * 64 * 2, dtype=np.uint32).astype(np.uint8).reshape(64, 64, 2)
    packed = av.VideoFrame.from_ndarray(grey, format="yuyv422")
    copied = LiveFrame(packed, 2, 0.0, 25.0).converted("yuyv422")  # a grabber's packed 4:2:2
    assert copied is not packed and (copied.to_ndarray() == packed.to_ndarray()).all()
    small = lf.converted("yuvj420p", 32, 32, "FAST_BILINEAR")
    assert (small.width, small.height, small.format.name) == (32, 32, "yuvj420p")
