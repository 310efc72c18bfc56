#!/usr/bin/env python3
"""Render the tutorial's SVG pictures to 96×96 PNGs with a transparent background.

Teams cards cannot show SVG, so every `domain/tutorial/images/<name>.svg` gets a
`<name>.png` beside it. Uses Playwright with Debian's Chromium (/usr/bin/chromium); it never
downloads a browser.

    .venv/bin/python scripts/render-tutorial-images.py            # every picture
    .venv/bin/python scripts/render-tutorial-images.py mic hand   # only these
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

SIZE = 96
CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "domain" / "tutorial" / "images"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; padding: 0; background: transparent; }}
svg {{ display: block; width: {size}px; height: {size}px; }}
</style></head><body>{svg}</body></html>
"""


def render(names: list[str]) -> list[Path]:
    """Write <name>.png for each <name>.svg; returns the PNG paths written."""
    sources = [IMAGES / f"{n}.svg" for n in names] if names else sorted(IMAGES.glob("*.svg"))
    missing = [s for s in sources if not s.is_file()]
    if missing:
        raise SystemExit(f"no such picture: {', '.join(str(m) for m in missing)}")
    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": SIZE, "height": SIZE}, device_scale_factor=1)
            for source in sources:
                svg = source.read_text(encoding="utf-8")
                page.set_content(PAGE.format(size=SIZE, svg=svg))
                target = source.with_suffix(".png")
                page.screenshot(
                    path=str(target),
                    omit_background=True,
                    clip={"x": 0, "y": 0, "width": SIZE, "height": SIZE},
                )
                written.append(target)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", help="picture names without .svg (default: all)")
    args = parser.parse_args(argv)
    for path in render(args.names):
        sys.stdout.write(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
