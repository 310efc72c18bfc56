"""A small PNG reader and writer (stdlib zlib) for checking and writing the app's icons.

Reads 8-bit greyscale, RGB, palette, greyscale+alpha and RGBA images, not interlaced (what
browsers and drawing tools write for icons); writes 8-bit RGBA.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# colour type -> samples per pixel
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

Pixel = tuple[int, int, int, int]


class PngError(ValueError):
    """The bytes are not a PNG this module can read."""


@dataclass(frozen=True, slots=True)
class Image:
    """Decoded pixels as RGBA tuples, row by row."""

    width: int
    height: int
    pixels: tuple[Pixel, ...]
    has_alpha_channel: bool

    def pixel(self, x: int, y: int) -> Pixel:
        """The RGBA value at column x, row y."""
        return self.pixels[y * self.width + x]


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG file (wrong signature)")
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise PngError("truncated chunk header")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        crc = data[pos + 8 + length : pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise PngError(f"truncated {kind.decode('latin-1')} chunk")
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            raise PngError(f"bad checksum in the {kind.decode('latin-1')} chunk")
        chunks.append((kind, body))
        pos += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise PngError("image data has the wrong size")
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            up_left = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                row[i] = (row[i] + _paeth(left, up, up_left)) & 0xFF
            elif kind != 0:
                raise PngError(f"unknown filter type {kind}")
        rows.append(row)
        previous = row
    return rows


def decode(data: bytes) -> Image:
    """Decode PNG bytes into RGBA pixels."""
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        raise PngError("missing IHDR header")
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    if depth != 8 or colour not in _CHANNELS:
        raise PngError(f"unsupported PNG: bit depth {depth}, colour type {colour}")
    if interlace:
        raise PngError("interlaced PNGs are not supported")
    palette = b"".join(body for kind, body in chunks if kind == b"PLTE")
    trns = b"".join(body for kind, body in chunks if kind == b"tRNS")
    try:
        raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error as exc:
        raise PngError(f"image data does not decompress: {exc}") from exc
    bpp = _CHANNELS[colour]
    rows = _unfilter(raw, width, height, bpp)
    pixels: list[Pixel] = []
    for row in rows:
        for x in range(width):
            s = row[x * bpp : (x + 1) * bpp]
            if colour == 6:
                pixels.append((s[0], s[1], s[2], s[3]))
            elif colour == 2:
                pixels.append((s[0], s[1], s[2], 255))
            elif colour == 4:
                pixels.append((s[0], s[0], s[0], s[1]))
            elif colour == 0:
                pixels.append((s[0], s[0], s[0], 255))
            else:
                i = s[0]
                if 3 * i + 3 > len(palette):
                    raise PngError("palette index out of range")
                alpha = trns[i] if i < len(trns) else 255
                pixels.append((palette[3 * i], palette[3 * i + 1], palette[3 * i + 2], alpha))
    has_alpha = colour in (4, 6) or bool(trns)
    return Image(width, height, tuple(pixels), has_alpha)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode(image: Image) -> bytes:
    """8-bit RGBA PNG bytes, no metadata, best compression."""
    header = struct.pack(">IIBBBBB", image.width, image.height, 8, 6, 0, 0, 0)
    raw = bytearray()
    for y in range(image.height):
        raw.append(0)
        for x in range(image.width):
            raw.extend(image.pixel(x, y))
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )
