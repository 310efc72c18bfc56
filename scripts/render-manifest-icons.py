#!/usr/bin/env python3
"""Render the Teams app icons in manifest/icons/ from their SVG sources to PNG.

color.svg → color.png (192×192), color32x32.svg → color32x32.png (32×32, transparent
background), outline.svg → outline.png (32×32, white on transparency: every visible pixel is made
exactly #FFFFFF, only its alpha varies). Uses Playwright with Debian's Chromium
(/usr/bin/chromium); it never downloads a browser. PNGs are re-encoded without metadata so
they stay small and the same on every run.

    .venv/bin/python scripts/render-manifest-icons.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.png import Image, decode, encode  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ICONS = ROOT / "manifest" / "icons"
# name -> (size, white only)
TARGETS: dict[str, tuple[int, bool]] = {
    "color": (192, False),
    "color32x32": (32, False),
    "outline": (32, True),
}

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; padding: 0; background: transparent; }}
svg {{ display: block; width: {size}px; height: {size}px; }}
</style></head><body>{svg}</body></html>
"""


def whitened(image: Image) -> Image:
    """Every pixel white, keeping its alpha; fully transparent pixels all zero."""
    pixels = tuple((255, 255, 255, a) if a else (0, 0, 0, 0) for *_rgb, a in image.pixels)
    return Image(image.width, image.height, pixels, True)


def cleaned(image: Image) -> Image:
    """Fully transparent pixels all zero (compresses better, nothing visible changes)."""
    pixels = tuple(p if p[3] else (0, 0, 0, 0) for p in image.pixels)
    return Image(image.width, image.height, pixels, True)


def render() -> list[Path]:
    """Write every icon PNG; returns the paths written."""
    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        try:
            for name, (size, white) in TARGETS.items():
                page = browser.new_page(
                    viewport={"width": size, "height": size}, device_scale_factor=1
                )
                svg = (ICONS / f"{name}.svg").read_text(encoding="utf-8")
                page.set_content(PAGE.format(size=size, svg=svg))
                shot = page.screenshot(
                    omit_background=True, clip={"x": 0, "y": 0, "width": size, "height": size}
                )
                page.close()
                image = decode(shot)
                target = ICONS / f"{name}.png"
                target.write_bytes(encode(whitened(image) if white else cleaned(image)))
                written.append(target)
        finally:
            browser.close()
    return written


def main() -> int:
    for path in render():
        sys.stdout.write(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
