"""A histogram of weights as a PNG, written with zlib and struct only (no plotting library).

Bars only: no axes text (drawing glyphs would need a font). The report and the printed diagnostics
carry the numbers; the picture shows the shape of the distribution (skew, outlying weights).
Must not compute weights or import a plotting library.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, MARGIN = 640, 400, 20
BAR = (52, 101, 164)
AXIS = (0, 0, 0)


def histogram_pixels(w: np.ndarray, bins: int = 30) -> np.ndarray:
    """An RGB image (HEIGHT x WIDTH x 3, uint8): white ground, `bins` bars, a base line and y axis."""
    image = np.full((HEIGHT, WIDTH, 3), 255, dtype=np.uint8)
    finite = w[np.isfinite(w)]
    counts = np.histogram(finite, bins=bins)[0] if len(finite) else np.zeros(bins, dtype=np.int64)
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    top = max(int(counts.max()), 1)
    edges = np.linspace(0, plot_w, bins + 1).astype(int)
    for i, count in enumerate(counts):
        height = int(round(plot_h * int(count) / top))
        if height:
            x0, x1 = MARGIN + edges[i] + 1, MARGIN + edges[i + 1] - 1
            image[HEIGHT - MARGIN - height : HEIGHT - MARGIN, x0:x1] = BAR
    image[HEIGHT - MARGIN, MARGIN : WIDTH - MARGIN] = AXIS
    image[MARGIN : HEIGHT - MARGIN + 1, MARGIN] = AXIS
    return image


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an RGB uint8 image as PNG (8-bit truecolour, filter 0 on every row)."""
    height, width, _ = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_histogram(path: Path, w: np.ndarray, bins: int = 30) -> None:
    """Write the histogram of `w` to `path` as PNG."""
    path.write_bytes(png_bytes(histogram_pixels(np.asarray(w, dtype=np.float64), bins)))
