"""The built-in test source: a moving picture with a running clock, so a frozen preview is obvious at a glance.

Frames are drawn straight in YUV 4:2:0 (limited range, BT.601), the encoder's own format: per frame a copy of a
pre-rendered background, a bar sweeping across, a square moving on a circle and the time of day with the frame
number (Pillow's built-in font, no system fonts needed). A 1920×1080 frame costs about 2 ms.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

# 75 % colour bars (ITU-R BT.801 order): white, yellow, cyan, green, magenta, red, blue
_BARS_RGB = ((191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191), (191, 0, 0), (0, 0, 191))


def _yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """BT.601 limited-range Y'CbCr of an 8-bit RGB colour."""
    r, g, b = rgb
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    cb = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    cr = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return round(y), round(cb), round(cr)


class TestPattern:
    """Draws frame ``n`` of a ``width``×``height`` pattern at ``fps`` as a yuv420p array of shape (h·3/2, w)."""

    __test__ = False  # not a pytest class

    def __init__(self, width: int, height: int, fps: float, *, label: str = "SmartBox") -> None:
        if width % 2 or height % 2 or width < 64 or height < 64:
            raise ValueError(f"test pattern size {width}x{height}: even sides of at least 64 pixels")
        self.width, self.height, self.fps = width, height, fps
        self.label = label
        self._background = self._draw_background()
        size = max(12, height // 14)
        self._font = ImageFont.load_default(size=size)
        self._text_h = int(size * 1.3)
        self._text_w = min(width - 2 * (width // 32), int(size * 17))

    def _draw_background(self) -> NDArray[np.uint8]:
        w, h = self.width, self.height
        y = np.full((h, w), 32, np.uint8)
        u = np.full((h // 2, w // 2), 128, np.uint8)
        v = np.full((h // 2, w // 2), 128, np.uint8)
        bar_h = h * 2 // 3
        edges = [round(i * w / len(_BARS_RGB)) for i in range(len(_BARS_RGB) + 1)]
        for i, rgb in enumerate(_BARS_RGB):
            cy, cb, cr = _yuv(rgb)
            x0, x1 = edges[i] & ~1, edges[i + 1] & ~1
            y[:bar_h, x0:x1] = cy
            u[:bar_h // 2, x0 // 2:x1 // 2] = cb
            v[:bar_h // 2, x0 // 2:x1 // 2] = cr
        ramp = np.linspace(16, 235, w).astype(np.uint8)  # grey ramp below the bars
        y[bar_h:bar_h + h // 12] = ramp[None, :]
        label = Image.new("L", (w, h // 8), 0)
        ImageDraw.Draw(label).text((w // 32, 0), self.label, fill=255,
                                   font=ImageFont.load_default(size=max(10, h // 20)))
        band = np.asarray(label)
        top = h - h // 8
        y[top:] = np.maximum(y[top:], (band.astype(np.uint16) * 180 // 255 + 16).astype(np.uint8) * (band > 0))
        out = np.empty((h * 3 // 2, w), np.uint8)
        out[:h] = y
        out[h:h + h // 4] = u.reshape(h // 4, w)
        out[h + h // 4:] = v.reshape(h // 4, w)
        return out

    def frame(self, n: int, wall: float | None = None) -> NDArray[np.uint8]:
        """Frame ``n`` (its moving parts are a function of ``n``; the clock shows ``wall`` or now)."""
        w, h = self.width, self.height
        out = self._background.copy()
        y = out[:h]
        # a bright bar sweeping left to right once every 4 s
        period = max(1, round(4 * self.fps))
        bar_w = max(4, w // 60) & ~1
        x = int((n % period) / period * (w - bar_w)) & ~1
        y[: h * 2 // 3, x:x + bar_w] = 235
        # a square on a circle, one turn every 3 s
        side = max(8, h // 10) & ~1
        angle = 2 * math.pi * (n / (3 * self.fps))
        cx = int(w / 2 + math.cos(angle) * h / 4) & ~1
        cy = int(h / 3 + math.sin(angle) * h / 6) & ~1
        y0, x0 = max(0, cy - side // 2), max(0, cx - side // 2)
        y[y0:y0 + side, x0:x0 + side] = 82  # red in BT.601: Y 82, Cb 90, Cr 240
        uv = out[h:].reshape(2, h // 2, w // 2)
        uv[0, y0 // 2:(y0 + side) // 2, x0 // 2:(x0 + side) // 2] = 90
        uv[1, y0 // 2:(y0 + side) // 2, x0 // 2:(x0 + side) // 2] = 240
        # the clock and frame number: a frozen picture shows at once
        now = time.time() if wall is None else wall
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 100) % 100:02d}  #{n}"
        text = Image.new("L", (self._text_w, self._text_h), 0)
        ImageDraw.Draw(text).text((0, 0), stamp, fill=255, font=self._font)
        mask = np.asarray(text)
        ty, tx = h * 2 // 3 + h // 12 + h // 40, w // 32
        region = y[ty:ty + self._text_h, tx:tx + self._text_w]
        region[:] = np.where(mask[: region.shape[0], : region.shape[1]] > 96, 235, 16)
        return out
