"""Cine (PS3.3 C.7.6.5) and Multi-frame (C.7.6.6) modules: the timing of every multi-frame object.

Shared by the video objects (:mod:`.video`) and Multi-frame True Color SC (:mod:`.multiframe`); the frame
time and rates come from the stream's real timing, never from its file name.
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from smartbox_next.capture.video import VideoInfo

FRAME_TIME_TAG = 0x00181063  # Frame Increment Pointer -> Frame Time (PS3.3 C.7.6.5.1.1)
AUDIO_SOURCE = ("109112", "DCM", "Ambient room environment")  # CID 3000 Audio Channel Source


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _frame_time(info: VideoInfo) -> str:
    return f"{info.frame_time_ms:.4f}".rstrip("0").rstrip(".")[:16]


def add_cine(ds: Dataset, info: VideoInfo) -> None:
    """Cine (PS3.3 C.7.6.5) and Multi-frame (C.7.6.6) modules from the stream's real timing."""
    ds.NumberOfFrames = info.frame_count
    ds.FrameIncrementPointer = FRAME_TIME_TAG
    ds.FrameTime = _frame_time(info)
    rate = round(float(info.frame_rate))
    ds.CineRate = rate
    ds.RecommendedDisplayFrameRate = rate
    ds.StartTrim = 1
    ds.StopTrim = info.frame_count
    ds.ActualFrameDuration = max(1, round(info.frame_time_ms))
    ds.PreferredPlaybackSequencing = 0
    if info.duration > 0:
        ds.EffectiveDuration = f"{info.duration:.6g}"
    if info.audio:
        # Multiplexed Audio Channels Description Code Sequence (003A,0300) 2C: the stream carries audio
        items = []
        for n, audio in enumerate(info.audio[:9], start=1):
            item = Dataset()
            item.ChannelIdentificationCode = str(n)
            item.ChannelMode = "STEREO" if audio.channels >= 2 else "MONO"
            item.ChannelSourceSequence = DicomSequence([code_item(*AUDIO_SOURCE)])
            items.append(item)
        ds.MultiplexedAudioChannelsDescriptionCodeSequence = DicomSequence(items)
