"""Memory of the station while it records and the operator takes stills (issue 15 item 8, "memory flat").

A still taken while a recording ran converted the live frame in place (PyAV reformats the frame itself) while
the recorder's thread encoded the same frame: one frame buffer leaked per still (3–6 MB at 1080p; the
30-minute benchmark grew from 241 to 561 MB). The run is a real process (a fresh interpreter, RSS via psutil):
after a warm-up, 40 stills during a 1080p recording may not grow the process by more than a few frames.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import psutil
    from smartbox_next.app.live import LiveStation
    from smartbox_next.capture.live.sources import SourceSpec
    from smartbox_next.config import config_from_mapping

    work = Path(sys.argv[1])
    (work / "folder").mkdir()
    config = config_from_mapping({"station": {"data_dir": str(work / "data")},
                                  "outbox": {"min_free_mb": 50, "folder": str(work / "folder")},
                                  "objects": {"anatomic_region": "colon"}, "live": {"pre_record_max_s": 2}})
    st = LiveStation(config, source=SourceSpec.parse("testpattern:1920x1080@25"), echo_interval=3600)
    st.start()
    try:
        deadline = time.monotonic() + 60
        while st.source.status.state != "live" and time.monotonic() < deadline:
            time.sleep(0.05)
        exam = st.start_exam(emergency="male").exam_id
        st.start_recording(exam, 0)
        for _ in range(10):  # warm-up: encoder, caches, allocator
            st.take_still(exam)
            time.sleep(0.25)
        before = psutil.Process().memory_info().rss
        for _ in range(40):
            st.take_still(exam)
            time.sleep(0.25)
        after = psutil.Process().memory_info().rss
        st.stop_recording(exam, wait=True)
        print(f"{(after - before) / 2**20:.1f}")
    finally:
        st.stop_event.set()
        st.stop()
""")


def test_stills_during_a_recording_do_not_grow_memory(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    growth_mib = float(result.stdout.strip().splitlines()[-1])
    print(f"\nRSS growth over 40 stills during a 1080p recording: {growth_mib:.1f} MiB")
    assert growth_mib < 40, f"{growth_mib:.1f} MiB for 40 stills (a leaked 1080p frame per still: 120-250 MiB)"


def test_the_threshold_keeps_frames_in_the_heap_and_maps_a_stills_picture() -> None:
    """Above every live frame layout (YUV 4:2:0, YUYV 4:2:2), below the still's RGB: frames (25 a second) are
    reused from the heap, a still's picture is its own mapping (pinned at 1 MiB, every frame was: +30 % CPU)."""
    from smartbox_next.capture.live.memory import MIN_THRESHOLD, frame_threshold

    for width, height in ((1920, 1080), (1280, 720), (3840, 2160)):
        limit = frame_threshold(width, height)
        assert width * height * 3 // 2 < width * height * 2 < limit < width * height * 3, (width, height)
    assert frame_threshold(320, 240) == MIN_THRESHOLD
