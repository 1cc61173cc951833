"""The transfer-syntax table (media/syntax.py): every row, its limits, and the transcode plans."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest

from smartbox_next.capture import syntax as sx
from smartbox_next.capture.video import AudioInfo, VideoInfo
from smartbox_next.config import Config, with_overrides
from smartbox_next.dicom.transfer_syntax import ALL_SYNTAXES
from smartbox_next.errors import UnsupportedMediaError

P = "1.2.840.10008.1.2.4."
AAC = AudioInfo(1, "aac", 2, 48000, 128_000)
MP3 = AudioInfo(1, "mp3", 2, 48000, 128_000)


def info(**kw: object) -> VideoInfo:
    base = VideoInfo(path=Path("x"), size=1000, container="mp4", format_name="mov,mp4", codec="h264",
                     profile="High", level=41, width=1920, height=1080, sar=Fraction(1), frame_rate=Fraction(25),
                     frame_count=250, duration=10.0, interlaced=False, pix_fmt="yuv420p", stereo_3d=False, audio=())
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def chosen(i: VideoInfo, config: Config | None = None) -> sx.SyntaxDecision:
    return sx.choose_syntax(i, (config or Config()).video)


@pytest.mark.parametrize(("kw", "uid"), [
    ({}, P + "102"),  # 1080p25 High@4.1 MP4
    ({"container": "mpegts", "audio": (AAC,)}, P + "102"),
    ({"width": 1280, "height": 720, "frame_rate": Fraction(60000, 1001), "level": 32}, P + "102"),
    ({"frame_rate": Fraction(50), "level": 42}, P + "104"),  # 1080p50 needs Level 4.2
    ({"frame_rate": Fraction(50), "level": 42, "stereo_3d": True}, P + "105"),
    ({"profile": "Stereo High", "level": 42}, P + "106"),
    ({"codec": "mpeg2video", "profile": "Main", "level": 8, "width": 720, "height": 576, "container": "mpeg-ps",
      "audio": (MP3,)}, P + "100"),
    ({"codec": "mpeg2video", "profile": "Main", "level": 8, "width": 720, "height": 480,
      "frame_rate": Fraction(30000, 1001), "container": "mpegts"}, P + "100"),
    ({"codec": "mpeg2video", "profile": "Main", "level": 4, "container": "mpegts", "interlaced": True}, P + "101"),
    ({"codec": "mpeg2video", "profile": "Main", "level": 4, "container": "mpegts", "width": 1280, "height": 720,
      "frame_rate": Fraction(50)}, P + "101"),
    ({"codec": "hevc", "profile": "Main", "level": 153, "width": 3840, "height": 2160, "frame_rate": Fraction(60)},
     P + "107"),
])
def test_pass_through_rows(kw: dict[str, object], uid: str) -> None:
    d = chosen(info(**kw))
    assert d.pass_through and d.transfer_syntax_uid == uid, d.rejected


def test_bd_row_is_an_alternative_for_table_8_4_formats() -> None:
    d = chosen(info(interlaced=True))
    assert d.transfer_syntax_uid == P + "102"
    assert P + "103" in d.alternatives
    assert sx.check_h264_bd(info()) == ["not a BD format of Table 8-4"]  # 1080p25 is not in Table 8-4


@pytest.mark.parametrize(("kw", "why"), [
    ({"container": "h264-es"}, "container h264-es"),  # raw Annex-B is not allowed
    ({"container": "quicktime"}, "container quicktime"),
    ({"profile": "Main"}, "profile Main"),
    ({"level": 51, "width": 3840, "height": 2160}, "macroblocks"),
    ({"sar": Fraction(4, 3)}, "pixel aspect"),
    ({"pix_fmt": "yuv422p"}, "pixel format"),
    ({"audio": (AudioInfo(1, "opus", 2, 48000, 0),)}, "audio opus"),
    ({"audio": (AudioInfo(1, "aac", 1, 48000, 64_000),)}, "audio aac"),  # mono AAC: Table 8.2.12-1 says 2 or 5.1
    ({"codec": "vp9"}, "no DICOM video transfer syntax"),
    ({"codec": "mpeg2video", "profile": "Main", "level": 8, "width": 720, "height": 576,
      "frame_rate": Fraction(24), "container": "mpegts"}, "frame rate 24.000"),
    ({"codec": "mpeg2video", "profile": "Main", "level": 4, "container": "mpegts", "width": 1280, "height": 720,
      "interlaced": True}, "720 lines must be progressive"),
    ({"codec": "hevc", "profile": "Main 10", "level": 120, "pix_fmt": "yuv420p10le"}, "Bits Allocated 16"),
])
def test_violations_lead_to_transcode(kw: dict[str, object], why: str) -> None:
    d = chosen(info(**kw))
    assert not d.pass_through and d.plan is not None
    assert why in d.reason
    assert d.transfer_syntax_uid == P + "102"


def test_no_transcode_allowed_raises_bilingual() -> None:
    config = with_overrides(Config(), "video", allow_transcode=False)
    with pytest.raises(UnsupportedMediaError) as exc:
        chosen(info(codec="vp8"), config)
    assert "allow_transcode" in exc.value.hint("en") and "Umkodieren" in exc.value.text("de")


def test_fragmentable_twin_when_larger_than_one_fragment() -> None:
    config = with_overrides(Config(), "video", long_video_mode="fragmentable", max_fragment_bytes=4096)
    d = chosen(info(size=10_000), config)
    assert d.transfer_syntax_uid == P + "102.1" and d.syntax.fragmentable and d.pass_through


def test_h264_plan_scales_only_when_the_level_demands() -> None:
    assert not sx.plan_h264(info(codec="vp9")).scaled
    p = sx.plan_h264(info(codec="vp9", width=3840, height=2160, frame_rate=Fraction(60)))
    assert p.scaled and not sx.h264_level_violations(p.width, p.height, p.rate, sx.L41)
    assert abs(p.width / p.height - 16 / 9) < 0.02 and p.rate == 60
    anamorphic = sx.plan_h264(info(codec="mpeg2video", width=720, height=576, sar=Fraction(64, 45)))
    assert (anamorphic.width, anamorphic.height, anamorphic.sar) == (1024, 576, 1)  # display aspect kept


def test_mpeg2_plans() -> None:
    hd = sx.plan_mpeg2(info(codec="vp9", frame_rate=Fraction(24)))
    assert (hd.width, hd.height, hd.rate, hd.syntax.uid) == (1920, 1080, 25, P + "101")
    sd = sx.plan_mpeg2(info(codec="vp9", width=640, height=480, frame_rate=Fraction(30)))
    assert (sd.width, sd.height, sd.syntax.uid, sd.sar) == (720, 480, P + "100", Fraction(8, 9))
    wide = sx.plan_mpeg2(info(codec="vp9", width=1280, height=540, frame_rate=Fraction(25)))
    assert wide.content_height < wide.height  # letterboxed 21:9 in a 16:9 frame


def test_every_row_has_a_fragmentable_twin() -> None:
    for row in sx.TABLE:
        twin = ALL_SYNTAXES[row.syntax.twin]
        assert twin.fragmentable and twin.codec == row.syntax.codec
        assert ALL_SYNTAXES[twin.twin].uid == row.syntax.uid or row.syntax.codec == "hevc"
