"""Small PNG drawings of listings for the demo (no Pillow, no downloads): a sky, the ground
and a simple building shape per kind, written with zlib and struct (docs/listings.md
"Demo")."""

from __future__ import annotations

import struct
import zlib

Color = tuple[int, int, int]
SKY: Color = (196, 222, 240)
GROUND: Color = (150, 170, 140)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(width: int, height: int, pixels: list[list[Color]]) -> bytes:
    """An RGB PNG of `pixels` (rows of (r, g, b))."""
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def drawing(kind: str, accent: Color, *, width: int = 320, height: int = 240) -> bytes:
    """A picture of a listing of `kind` (land, factory, warehouse, office, incubator)."""
    horizon = height * 2 // 3
    pixels = [[SKY if y < horizon else GROUND for _x in range(width)] for y in range(height)]

    def box(x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        for y in range(max(0, y0), min(height, y1)):
            row = pixels[y]
            for x in range(max(0, x0), min(width, x1)):
                row[x] = color

    wall = accent
    red, green, blue = accent
    dark: Color = (max(0, red - 60), max(0, green - 60), max(0, blue - 60))
    if kind == "land":
        box(0, horizon, width, height, (176, 140, 96))  # bare soil
        for x in range(20, width, 60):
            box(x, horizon - 30, x + 3, horizon, (90, 90, 90))  # survey stakes
    elif kind in ("factory", "warehouse"):
        box(30, horizon - 90, width - 30, horizon, wall)
        for n, x in enumerate(range(30, width - 30, 52)):  # saw-tooth roof
            for step in range(26):
                box(x + step * 2, horizon - 90 - step, x + step * 2 + 2, horizon - 90, dark)
            if kind == "warehouse" or n % 2:
                box(x + 12, horizon - 45, x + 40, horizon, (230, 230, 230))  # loading door
    else:  # office, incubator: a tower with windows
        box(width // 2 - 60, horizon - 150, width // 2 + 60, horizon, wall)
        for y in range(horizon - 140, horizon - 10, 20):
            for x in range(width // 2 - 50, width // 2 + 50, 22):
                box(x, y, x + 14, y + 12, (235, 245, 255))
    return encode_png(width, height, pixels)
