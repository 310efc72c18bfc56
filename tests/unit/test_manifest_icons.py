"""The app's icons (manifest/icons/), the icon checks and the small PNG reader (bot/png.py)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

import pytest

from bot.manifest_check import MANIFEST_DIR, icon_errors
from bot.png import Image, Pixel, PngError, decode, encode

ICONS = MANIFEST_DIR / "icons"
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
BLUE = (10, 91, 181, 255)
ROLES = {"color": "color.png", "outline": "outline.png", "color32x32": "color32x32.png"}


def icon(name: str) -> Image:
    return decode((ICONS / name).read_bytes())


def image(size: int, paint: Callable[[int, int], Pixel]) -> Image:
    pixels = tuple(paint(x, y) for y in range(size) for x in range(size))
    return Image(size, size, pixels, True)


def check(role: str, picture: Image) -> list[str]:
    manifest = {"icons": {role: "icon.png"}}
    return icon_errors(manifest, {"icon.png": encode(picture)})


def framed(size: int, inside: Pixel, outside: Pixel = CLEAR) -> Image:
    return image(size, lambda x, y: inside if 4 <= x < size - 4 and 4 <= y < size - 4 else outside)


# --- the committed icons ---------------------------------------------------------------------


def test_the_committed_icons_pass_every_check() -> None:
    files = {name: (ICONS / name).read_bytes() for name in ROLES.values()}
    assert icon_errors({"icons": ROLES}, files) == []


@pytest.mark.parametrize(
    ("name", "size"), [("color.png", 192), ("outline.png", 32), ("color32x32.png", 32)]
)
def test_each_icon_has_its_size_an_svg_source_and_stays_small(name: str, size: int) -> None:
    picture = icon(name)
    assert (picture.width, picture.height) == (size, size)
    assert (ICONS / name).with_suffix(".svg").is_file()
    assert (ICONS / name).stat().st_size < 8 * 1024


def test_the_outline_icon_is_only_white_on_transparency() -> None:
    picture = icon("outline.png")
    assert picture.has_alpha_channel
    assert {p[:3] for p in picture.pixels if p[3]} == {(255, 255, 255)}
    alphas = {p[3] for p in picture.pixels}
    assert 0 in alphas
    assert 255 in alphas


def test_the_small_colour_icon_has_a_transparent_background() -> None:
    picture = icon("color32x32.png")
    assert all(picture.pixel(x, y)[3] == 0 for x in (0, 31) for y in (0, 31))
    assert any(p[3] == 255 and p[:3] != (255, 255, 255) for p in picture.pixels)


def test_the_colour_icon_uses_the_accent_colour() -> None:
    assert icon("color.png").pixel(96, 10) == BLUE


# --- the checks -------------------------------------------------------------------------------


def test_a_wrong_size_is_named() -> None:
    assert check("color", framed(96, BLUE, BLUE)) == [
        "icons.color (icon.png): is 96×96 pixels, must be 192×192"
    ]


def test_an_outline_with_colour_is_refused() -> None:
    assert check("outline", framed(32, BLUE)) == [
        "icons.outline (icon.png): has 576 pixels that are not white; use only white and alpha"
    ]


def test_an_outline_without_transparency_is_refused() -> None:
    assert check("outline", framed(32, WHITE, WHITE)) == [
        "icons.outline (icon.png): has no transparent pixels; the background must be transparent"
    ]


def test_an_empty_outline_is_refused() -> None:
    assert check("outline", framed(32, CLEAR)) == ["icons.outline (icon.png): is fully transparent"]


def test_a_small_colour_icon_on_an_opaque_background_is_refused() -> None:
    assert check("color32x32", framed(32, BLUE, WHITE)) == [
        "icons.color32x32 (icon.png): needs a transparent background (its corners are not "
        "transparent)"
    ]


def test_a_file_that_is_not_a_png_is_refused() -> None:
    problems = icon_errors({"icons": {"color": "c.png"}}, {"c.png": b"GIF89a..."})
    assert problems == ["icons.color (c.png): not a PNG file (wrong signature)"]


def test_a_missing_file_is_refused() -> None:
    assert icon_errors({"icons": {"outline": "o.png"}}, {}) == [
        "icons.outline (o.png): no such file in the package"
    ]


# --- the PNG reader ----------------------------------------------------------------------------


def test_encode_then_decode_gives_the_same_pixels() -> None:
    picture = image(5, lambda x, y: (x * 50, y * 50, (x + y) * 20, 255 - x * y))
    assert decode(encode(picture)) == picture


def _png(width: int, height: int, colour: int, raw_rows: list[bytes], extra: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(b"".join(raw_rows)))
        + chunk(b"IEND", b"")
    )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _filtered(kind: int, row: bytes, previous: bytes, bpp: int) -> bytes:
    out = bytearray([kind])
    for i, value in enumerate(row):
        left = row[i - bpp] if i >= bpp else 0
        up = previous[i]
        up_left = previous[i - bpp] if i >= bpp else 0
        predictor = [0, left, up, (left + up) // 2, _paeth(left, up, up_left)][kind]
        out.append((value - predictor) & 0xFF)
    return bytes(out)


def test_every_filter_type_decodes() -> None:
    rows = [
        bytes((x * 37 + y * 11 + c * 5) % 256 for x in range(4) for c in range(3)) for y in range(5)
    ]
    raw = [
        _filtered(kind, rows[kind], rows[kind - 1] if kind else bytes(12), 3) for kind in range(5)
    ]
    picture = decode(_png(4, 5, 2, raw))
    for y, row in enumerate(rows):
        for x in range(4):
            assert picture.pixel(x, y) == (row[3 * x], row[3 * x + 1], row[3 * x + 2], 255)
    assert not picture.has_alpha_channel


def test_a_palette_image_with_transparency_decodes() -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    extra = chunk(b"PLTE", bytes([255, 255, 255, 10, 91, 181])) + chunk(b"tRNS", bytes([0]))
    picture = decode(_png(2, 1, 3, [bytes([0, 0, 1])], extra))
    assert picture.pixels == ((255, 255, 255, 0), BLUE)
    assert picture.has_alpha_channel


def test_a_damaged_png_is_refused() -> None:
    data = bytearray(encode(framed(8, WHITE)))
    data[20] ^= 0xFF  # inside the IHDR chunk: its checksum no longer matches
    with pytest.raises(PngError, match="bad checksum in the IHDR chunk"):
        decode(bytes(data))


def test_sixteen_bit_images_are_refused_with_a_reason() -> None:
    header = bytearray(_png(1, 1, 6, [bytes(5)]))
    header[24] = 16  # bit depth
    fixed = (
        bytes(header[:29])
        + struct.pack(">I", zlib.crc32(bytes(header[12:29])))
        + bytes(header[33:])
    )
    with pytest.raises(PngError, match="bit depth 16"):
        decode(fixed)
