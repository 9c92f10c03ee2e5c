"""Just enough PNG reading to tell a real screenshot from a blank one (no imaging library in the lock)."""

from __future__ import annotations

import struct
import zlib
from collections import Counter

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def size(data: bytes) -> tuple[int, int]:
    assert data[:8] == SIGNATURE, "not a PNG"
    return struct.unpack(">II", data[16:24])


def pixels(data: bytes) -> list[tuple[int, ...]]:
    """Every pixel of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes), row by row."""
    width, height = size(data)
    depth, colour_type, _compression, _filter, interlace = data[24:29]
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    channels = 3 if colour_type == 2 else 4
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    result: list[tuple[int, ...]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        result.extend(tuple(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return result


def ink(data: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that differ from the most common one, the background)."""
    counts = Counter(pixels(data))
    _background, most = counts.most_common(1)[0]
    total = sum(counts.values())
    return len(counts), 1 - most / total
