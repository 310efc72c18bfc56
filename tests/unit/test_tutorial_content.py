"""The shipped tutorial content: complete, consistent, short and plain, with safe pictures.

Two halves: the real data files (domain/tutorial/data, domain/tutorial/images) must pass every
rule, and deliberately broken variants must be refused by `parse_tutorial` with a message that
names the problem.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from domain.org import Language
from domain.tutorial.content import (
    ALL_DEVICES,
    ContentError,
    Device,
    Topic,
    Tutorial,
    image_path,
    load_tutorial,
    parse_tutorial,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "domain" / "tutorial" / "data"
IMAGES = ROOT / "domain" / "tutorial" / "images"

MAX_TITLE = 60
MAX_TEXT = 300
MAX_ALT = 120
MAX_SENTENCES = 4
MAX_SENTENCE_WORDS = 18
MAX_SVG_BYTES = 3 * 1024
MAX_PNG_BYTES = 8 * 1024
SVG_NS = "{http://www.w3.org/2000/svg}"

DESKTOP = (Device.WINDOWS, Device.MAC, Device.WEB)
# Words that only make sense on one kind of device, per language: the meeting window (desktop
# app and browser) and the bottom of the screen (phone and tablet).
MEETING_WINDOW = {
    Language.FI: "kokousikkuna",
    Language.SV: "mötesfönst",
    Language.EN: "meeting window",
}
BOTTOM_OF_SCREEN = {
    Language.FI: "näytön alareuna",
    Language.SV: "längst ner på skärmen",
    Language.EN: "bottom of the screen",
}
KEY_NAMES = ("Ctrl", "Cmd", "Option", "Enter")


@pytest.fixture(scope="module")
def tutorial() -> Tutorial:
    return load_tutorial()


def _texts(t: Tutorial) -> Iterator[tuple[Language, str, str, str]]:
    """(language, id, key, text) for every step and check text, titles included."""
    for lang in Language:
        words = t.words[lang]
        for table in (words.steps, words.checks):
            for item_id, texts in table.items():
                for key, value in texts.items():
                    yield lang, item_id, key, value


def _resolved(t: Tutorial) -> Iterator[tuple[Language, Device, str, str]]:
    """(language, device, id, text) as a client on that device reads each step and check."""
    for lang in Language:
        for step in t.steps:
            for device in step.devices:
                yield lang, device, step.id, t.step_text(lang, step, device).text
        for check in t.checks:
            for device in check.devices:
                yield lang, device, check.id, t.check_text(lang, check, device).text


# --- the shipped content: structure ------------------------------------------------------


def test_shipped_content_loads(tutorial: Tutorial) -> None:
    assert tutorial.steps
    assert tutorial.checks
    assert set(tutorial.words) == set(Language)


def test_ids_other_code_relies_on(tutorial: Tutorial) -> None:
    mic = tutorial.step("mic_toggle")
    muted = tutorial.check("mic_muted")
    assert mic is not None
    assert mic.topic is Topic.MICROPHONE
    assert mic.devices == ALL_DEVICES
    assert muted is not None
    assert muted.topic is Topic.MICROPHONE
    assert muted.devices == ALL_DEVICES


def test_ids_are_snake_case_and_prefixed_by_topic(tutorial: Tutorial) -> None:
    prefixes = {
        Topic.JOIN: "join_",
        Topic.MICROPHONE: "mic_",
        Topic.CAMERA: "cam_",
        Topic.SHARE: "share_",
        Topic.HAND: "hand_",
        Topic.CHAT: "chat_",
    }
    items = [(s.id, s.topic) for s in tutorial.steps] + [(c.id, c.topic) for c in tutorial.checks]
    for item_id, topic in items:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", item_id), item_id
        assert item_id.startswith(prefixes[topic]), item_id


@pytest.mark.parametrize("device", list(Device))
def test_every_device_has_every_topic(tutorial: Tutorial, device: Device) -> None:
    assert tutorial.topics_for(device) == tuple(Topic)


@pytest.mark.parametrize("device", list(Device))
def test_every_topic_on_a_device_has_checks(tutorial: Tutorial, device: Device) -> None:
    for topic in tutorial.topics_for(device):
        assert tutorial.checks_for(topic, device), f"{topic} on {device} has no checks"


def test_no_check_for_a_topic_without_steps(tutorial: Tutorial) -> None:
    for check in tutorial.checks:
        for device in check.devices:
            assert check.topic in tutorial.topics_for(device), (check.id, device)


@pytest.mark.parametrize("device", list(Device))
def test_every_step_and_check_reads_on_every_device(tutorial: Tutorial, device: Device) -> None:
    for lang in Language:
        for step in tutorial.steps_for(device):
            text = tutorial.step_text(lang, step, device)
            assert text.title
            assert text.text
            assert text.alt
            assert (text.shortcut is None) == (device not in step.shortcuts)
        for topic in tutorial.topics_for(device):
            for check in tutorial.checks_for(topic, device):
                ctext = tutorial.check_text(lang, check, device)
                assert ctext.title
                assert ctext.text
                assert (ctext.alt is None) == (check.image is None)


# --- per-device wording ------------------------------------------------------------------


def test_overrides_are_the_same_in_every_language(tutorial: Tutorial) -> None:
    words = {lang: tutorial.words[lang] for lang in Language}
    for table in ("steps", "checks"):
        ids = getattr(words[Language.FI], table).keys()
        for item_id in ids:
            keys = {lang: set(getattr(w, table)[item_id]) for lang, w in words.items()}
            assert keys[Language.SV] == keys[Language.FI], (item_id, keys)
            assert keys[Language.EN] == keys[Language.FI], (item_id, keys)


def test_overrides_really_differ(tutorial: Tutorial) -> None:
    for lang, item_id, key, value in _texts(tutorial):
        if key in {d.value for d in Device}:
            general = (
                tutorial.words[lang].steps.get(item_id) or tutorial.words[lang].checks[item_id]
            )["text"]
            assert value != general, f"{lang} {item_id}: {key} repeats the general text"


def test_overrides_exist_where_the_step_differs(tutorial: Tutorial) -> None:
    # A phone has no meeting window; a computer's controls are not at the bottom of the screen.
    for lang, device, item_id, text in _resolved(tutorial):
        if device is Device.MOBILE:
            assert MEETING_WINDOW[lang] not in text.lower(), (lang, item_id)
            for key in KEY_NAMES:
                assert not re.search(rf"\b{key}\b", text), (lang, item_id, key)
        else:
            assert BOTTOM_OF_SCREEN[lang] not in text.lower(), (lang, device, item_id)


def test_the_mobile_steps_have_their_own_words(tutorial: Tutorial) -> None:
    # The rule above is not vacuous: most shared steps do need a mobile text.
    shared = [
        s for s in tutorial.steps if Device.MOBILE in s.devices and Device.WINDOWS in s.devices
    ]
    with_mobile = [s for s in shared if "mobile" in tutorial.words[Language.FI].steps[s.id]]
    assert len(with_mobile) >= len(shared) // 2


def test_key_names_fit_the_device(tutorial: Tutorial) -> None:
    for lang, device, item_id, text in _resolved(tutorial):
        if device is Device.MAC:
            assert not re.search(r"\bCtrl\b", text), (lang, item_id)
        if device is Device.WINDOWS:
            assert not re.search(r"\b(Cmd|Option)\b", text), (lang, item_id)


def test_shortcuts_fit_the_device(tutorial: Tutorial) -> None:
    for step in tutorial.steps:
        assert Device.MOBILE not in step.shortcuts, step.id
        for device, keys in step.shortcuts.items():
            assert device in step.devices
            if device is Device.MAC:
                assert "Ctrl" not in keys, step.id
            if device is Device.WINDOWS:
                assert not {"Cmd", "Option"} & set(keys), step.id


def test_key_words_are_translated(tutorial: Tutorial) -> None:
    # Key names written as words (space) must be named in every language; letters and the
    # modifier names printed on keys (Ctrl, Shift) are shown as they are.
    used = {k for s in tutorial.steps for keys in s.shortcuts.values() for k in keys}
    words = {k for k in used if k.islower() and len(k) > 1}
    assert words, "expected at least one key named by a word"
    for lang in Language:
        for key in words:
            assert key in tutorial.words[lang].keys, (lang, key)
            assert tutorial.shortcut(lang, (key,)) != key or lang is Language.EN


# --- texts are short and plain -----------------------------------------------------------


def _has_emoji(text: str) -> bool:
    return any(unicodedata.category(ch) in {"So", "Cs", "Co"} or ord(ch) >= 0x1F000 for ch in text)


def test_titles_are_short(tutorial: Tutorial) -> None:
    for lang, item_id, key, value in _texts(tutorial):
        if key == "title":
            assert len(value) <= MAX_TITLE, (lang, item_id, value)
            assert not value.endswith("."), (lang, item_id, value)


def test_texts_are_short_with_short_sentences(tutorial: Tutorial) -> None:
    for lang, item_id, key, value in _texts(tutorial):
        if key == "title":
            continue
        assert len(value) <= MAX_TEXT, (lang, item_id, key)
        assert value[-1] in ".!?", (lang, item_id, key)
        sentences = re.split(r"(?<=[.!?])\s+", value)
        assert len(sentences) <= MAX_SENTENCES, (lang, item_id, key)
        for sentence in sentences:
            assert len(sentence.split()) <= MAX_SENTENCE_WORDS, (lang, item_id, key, sentence)


def test_no_emoji_anywhere(tutorial: Tutorial) -> None:
    for lang, item_id, key, value in _texts(tutorial):
        assert not _has_emoji(value), (lang, item_id, key)
    for lang in Language:
        words = tutorial.words[lang]
        for value in (*words.devices.values(), *words.topics.values(), *words.images.values()):
            assert not _has_emoji(value), (lang, value)


def test_alt_texts_are_short_and_distinct(tutorial: Tutorial) -> None:
    for lang in Language:
        alts = tutorial.words[lang].images
        assert set(alts) == tutorial.images
        for name, alt in alts.items():
            assert 5 <= len(alt) <= MAX_ALT, (lang, name)
        assert len(set(alts.values())) == len(alts), f"{lang}: two pictures share an alt text"


def test_languages_really_differ(tutorial: Tutorial) -> None:
    fi = tutorial.words[Language.FI]
    for lang in (Language.SV, Language.EN):
        other = tutorial.words[lang]
        for item_id, texts in fi.steps.items():
            assert other.steps[item_id]["text"] != texts["text"], (lang, item_id)
        for item_id, texts in fi.checks.items():
            assert other.checks[item_id]["text"] != texts["text"], (lang, item_id)


# --- pictures ----------------------------------------------------------------------------


def test_every_picture_has_svg_and_png(tutorial: Tutorial) -> None:
    for name in tutorial.images:
        assert image_path(name, ".svg").is_file(), name
        assert image_path(name, ".png").is_file(), name


def test_no_stray_picture_files(tutorial: Tutorial) -> None:
    files = {p.name for p in IMAGES.iterdir()}
    expected = {f"{n}{suffix}" for n in tutorial.images for suffix in (".svg", ".png")}
    assert files == expected


SVGS = sorted(IMAGES.glob("*.svg"))
PNGS = sorted(IMAGES.glob("*.png"))


def test_pictures_were_found() -> None:
    assert SVGS
    assert PNGS


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast_on_white(hex_colour: str) -> float:
    return 1.05 / (_luminance(hex_colour) + 0.05)


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.stem)
def test_svg_is_small_safe_and_titled(path: Path) -> None:
    raw = path.read_bytes()
    assert len(raw) < MAX_SVG_BYTES
    text = raw.decode("utf-8")
    assert "<!DOCTYPE" not in text
    assert "<!ENTITY" not in text
    root = ET.fromstring(text)  # noqa: S314 - our own committed file, checked for entities above
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 96 96"
    assert root.get("width") == "96"
    assert root.get("height") == "96"
    title = root.find(f"{SVG_NS}title")
    assert title is not None
    assert title.text
    assert title.text.strip()
    for element in root.iter():
        local = element.tag.removeprefix(SVG_NS)
        assert local not in {"script", "foreignObject", "image", "iframe", "style"}, local
        for attr, value in element.attrib.items():
            name = attr.rsplit("}", 1)[-1]
            assert not name.lower().startswith("on"), attr
            if name == "href":
                assert value.startswith("#"), value
            assert "url(" not in value or value.startswith("url(#"), value
    assert "http://" not in text.replace("http://www.w3.org/", "")
    assert "https://" not in text


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.stem)
def test_svg_colours_are_dark_plus_one_accent(path: Path) -> None:
    colours = {
        c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", path.read_text())
    }
    inks = {c for c in colours if c not in {"#fff", "#ffffff"}}
    assert inks, "no colours"
    assert len(inks) <= 2, inks
    assert any(_luminance(c) < 0.03 for c in inks), f"no dark ink in {inks}"
    for colour in inks:
        assert _contrast_on_white(colour) >= 4.5, colour


def _png(path: Path) -> tuple[int, int, int, int, int, bytes]:
    """(width, height, bit depth, colour type, interlace, raw scanlines) of a PNG file."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    assert length == 13
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            break
        pos += 12 + length
    return width, height, depth, colour, interlace, zlib.decompress(idat)


def _alpha(width: int, height: int, raw: bytes) -> list[list[int]]:
    """The alpha of every pixel of an 8-bit RGBA, non-interlaced PNG (undoing the filters)."""
    bpp, stride = 4, width * 4
    prev = bytearray(stride)
    rows: list[list[int]] = []
    pos = 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                pred = a
            elif kind == 2:
                pred = b
            elif kind == 3:
                pred = (a + b) // 2
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            else:
                assert kind == 0, f"unknown PNG filter {kind}"
                pred = 0
            line[x] = (line[x] + pred) & 0xFF
        rows.append([line[x + 3] for x in range(0, stride, bpp)])
        prev = line
    return rows


@pytest.mark.parametrize("path", PNGS, ids=lambda p: p.stem)
def test_png_is_96_square_with_alpha(path: Path) -> None:
    assert path.stat().st_size < MAX_PNG_BYTES
    width, height, depth, colour, interlace, _ = _png(path)
    assert (width, height) == (96, 96)
    assert depth == 8
    assert colour == 6, "needs an alpha channel (RGBA)"
    assert interlace == 0


@pytest.mark.parametrize("path", PNGS, ids=lambda p: p.stem)
def test_png_background_is_transparent_and_picture_is_drawn(path: Path) -> None:
    width, height, _, _, _, raw = _png(path)
    alpha = _alpha(width, height, raw)
    corners = [alpha[0][0], alpha[0][-1], alpha[-1][0], alpha[-1][-1]]
    assert corners == [0, 0, 0, 0], corners
    opaque = sum(1 for row in alpha for a in row if a == 255)
    clear = sum(1 for row in alpha for a in row if a == 0)
    assert opaque >= width * height // 20, "almost nothing drawn"
    assert clear >= width * height // 5, "background is not transparent"


def test_png_decoder_notices_a_solid_picture() -> None:
    # Guard for the two tests above: an opaque image must not pass as transparent.
    width = height = 2
    raw = b"".join(b"\x00" + b"\x10\x20\x30\xff" * width for _ in range(height))
    assert _alpha(width, height, raw) == [[255, 255], [255, 255]]


# --- broken content is refused with a message that names the problem ---------------------

MINI_STRUCTURE = """
[[step]]
id = "mic_toggle"
topic = "microphone"
image = "mic"
shortcut = { windows = ["Ctrl", "Shift", "M"] }

[[step]]
id = "cam_toggle"
topic = "camera"
image = "camera"
devices = ["windows", "mac"]

[[check]]
id = "mic_muted"
topic = "microphone"
image = "mic_off"

[[check]]
id = "cam_off"
topic = "camera"
devices = ["windows", "mac"]
"""

MINI_WORDS = """
[device]
windows = "Windows"
mac = "Mac"
web = "Web"
mobile = "Mobile"

[topic]
join = "Join"
microphone = "Microphone"
camera = "Camera"
share = "Share"
hand = "Hand"
chat = "Chat"

[keys]
space = "space"

[image]
mic = "A microphone"
mic_off = "A microphone with a line across it"
camera = "A camera"

[step.mic_toggle]
title = "Microphone"
text = "Press the microphone."
mobile = "Press the microphone at the bottom."

[step.cam_toggle]
title = "Camera"
text = "Press the camera."

[check.mic_muted]
title = "Muted?"
text = "Look at the microphone."

[check.cam_off]
title = "Camera off?"
text = "Look at the camera."
"""


def _swap(text: str, old: str, new: str) -> str:
    assert old in text, f"fixture does not contain {old!r}"
    return text.replace(old, new, 1)


def _parse(structure: str = MINI_STRUCTURE, **languages: str) -> Tutorial:
    texts = {lang: MINI_WORDS for lang in Language}
    for code, text in languages.items():
        texts[Language(code)] = text
    return parse_tutorial(structure, texts)


def test_the_small_fixture_is_valid() -> None:
    t = _parse()
    mic = t.step("mic_toggle")
    cam = t.step("cam_toggle")
    assert mic is not None
    assert cam is not None
    assert (
        t.step_text(Language.FI, mic, Device.MOBILE).text == "Press the microphone at the bottom."
    )
    assert t.step_text(Language.FI, mic, Device.WINDOWS).shortcut == "Ctrl+Shift+M"
    assert t.steps_for(Device.MOBILE) == (mic,)


BROKEN_WORDS = [
    pytest.param(
        "sv",
        lambda w: _swap(w, 'text = "Press the microphone."\n', ""),
        r"sv\.toml step mic_toggle: missing text",
        id="step-text-dropped-from-sv",
    ),
    pytest.param(
        "en",
        lambda w: _swap(w, "[step.mic_toggle]\n", '[step.mic_toggle]\ncolour = "red"\n'),
        r"en\.toml step mic_toggle: unexpected key 'colour'",
        id="unknown-key",
    ),
    pytest.param(
        "fi",
        lambda w: _swap(w, "[step.cam_toggle]\n", '[step.cam_toggle]\nmobile = "Tap it."\n'),
        r"fi\.toml step cam_toggle: unexpected key 'mobile'",
        id="override-for-a-device-the-step-is-not-for",
    ),
    pytest.param(
        "fi",
        lambda w: _swap(w, 'mic_off = "A microphone with a line across it"\n', ""),
        r"fi\.toml: \[image\] is missing mic_off",
        id="image-without-alt",
    ),
    pytest.param(
        "sv",
        lambda w: _swap(w, "[image]\n", '[image]\nghost = "A ghost"\n'),
        r"sv\.toml: \[image\] has unknown ghost",
        id="alt-for-an-unused-image",
    ),
    pytest.param(
        "sv",
        lambda w: _swap(w, '[step.cam_toggle]\ntitle = "Camera"\ntext = "Press the camera."\n', ""),
        r"sv\.toml: \[step\] is missing cam_toggle",
        id="step-missing-from-a-language",
    ),
    pytest.param(
        "en",
        lambda w: w + '\n[check.ghost]\ntitle = "Boo"\ntext = "Boo."\n',
        r"en\.toml: \[check\] has unknown ghost",
        id="unknown-check-in-a-language",
    ),
    pytest.param(
        "fi",
        lambda w: _swap(w, 'text = "Look at the microphone."', 'text = "   "'),
        r"fi\.toml check mic_muted: text must be a non-empty text",
        id="blank-text",
    ),
    pytest.param(
        "en",
        lambda w: _swap(w, 'chat = "Chat"\n', ""),
        r"en\.toml: \[topic\] is missing chat",
        id="topic-name-missing",
    ),
    pytest.param(
        "en",
        lambda w: w + "\n[step.mic_toggle\n",
        r"not valid TOML",
        id="bad-toml-in-a-language",
    ),
]


@pytest.mark.parametrize(("lang", "breaker", "message"), BROKEN_WORDS)
def test_broken_language_file_is_refused(
    lang: str, breaker: Callable[[str], str], message: str
) -> None:
    with pytest.raises(ContentError, match=message):
        _parse(**{lang: breaker(MINI_WORDS)})


BROKEN_STRUCTURES = [
    pytest.param(
        lambda s: _swap(s, 'image = "camera"\n', ""),
        r"step #2 \(cam_toggle\): every step needs an image",
        id="step-without-image",
    ),
    pytest.param(
        lambda s: s + '\n[[step]]\nid = "mic_toggle"\ntopic = "microphone"\nimage = "mic"\n',
        r"step #3 \(mic_toggle\): missing or repeated id",
        id="duplicate-step-id",
    ),
    pytest.param(
        lambda s: s + '\n[[check]]\nid = "cam_toggle"\ntopic = "camera"\n',
        r"check #3 \(cam_toggle\): missing or repeated id",
        id="check-id-repeats-a-step-id",
    ),
    pytest.param(
        lambda s: _swap(
            s,
            'devices = ["windows", "mac"]\n',
            'devices = ["windows", "mac"]\nshortcut = { web = ["Ctrl", "Shift", "O"] }\n',
        ),
        r"cam_toggle\): shortcut for a device the step is not for: web",
        id="shortcut-for-a-device-the-step-is-not-for",
    ),
    pytest.param(
        lambda s: _swap(s, '{ windows = ["Ctrl", "Shift", "M"] }', '{ windows = "Ctrl+Shift+M" }'),
        r"mic_toggle\): shortcut windows must be a list of key names",
        id="shortcut-not-a-list",
    ),
    pytest.param(
        lambda s: _swap(s, 'devices = ["windows", "mac"]', 'devices = ["windows", "fridge"]'),
        r"cam_toggle\): 'fridge' is not a valid Device",
        id="unknown-device",
    ),
    pytest.param(
        lambda s: _swap(s, 'topic = "camera"', 'topic = "dance"'),
        r"cam_toggle\): unknown topic 'dance'",
        id="unknown-topic",
    ),
    pytest.param(
        lambda s: _swap(
            s,
            'id = "cam_off"\ntopic = "camera"\ndevices = ["windows", "mac"]',
            'id = "cam_off"\ntopic = "camera"\ndevices = ["windows"]',
        ),
        r"step cam_toggle: no troubleshooting check for camera on mac",
        id="topic-without-a-check-on-a-device",
    ),
    pytest.param(
        lambda s: s + "\n[[step]\n",
        r"not valid TOML",
        id="bad-toml-in-structure",
    ),
]


@pytest.mark.parametrize(("breaker", "message"), BROKEN_STRUCTURES)
def test_broken_structure_is_refused(breaker: Callable[[str], str], message: str) -> None:
    with pytest.raises(ContentError, match=message):
        _parse(breaker(MINI_STRUCTURE))


def test_a_missing_language_file_is_refused() -> None:
    texts = {Language.FI: MINI_WORDS, Language.SV: MINI_WORDS}
    with pytest.raises(ContentError, match=r"no language file for .*en"):
        parse_tutorial(MINI_STRUCTURE, texts)


def test_a_tutorial_without_steps_is_refused() -> None:
    bare = MINI_WORDS.split("[image]")[0]
    with pytest.raises(ContentError, match="the tutorial has no steps"):
        parse_tutorial("", {lang: bare for lang in Language})


def _drop_line(toml_text: str, table: str, key: str) -> str:
    """The TOML text without `key = ...` in `[table]` (asserting it was there)."""
    lines = toml_text.splitlines(keepends=True)
    start = lines.index(f"[{table}]\n")
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("["):
            break
        if lines[i].startswith(f"{key} ="):
            return "".join(lines[:i] + lines[i + 1 :])
    raise AssertionError(f"[{table}] has no {key}")


def _shipped() -> tuple[str, dict[Language, str]]:
    structure = (DATA / "structure.toml").read_text(encoding="utf-8")
    return structure, {
        lang: (DATA / f"{lang.value}.toml").read_text(encoding="utf-8") for lang in Language
    }


@pytest.mark.parametrize("lang", list(Language))
def test_shipped_files_break_when_a_step_text_goes_missing(
    tutorial: Tutorial, lang: Language
) -> None:
    structure, texts = _shipped()
    assert parse_tutorial(structure, texts).steps == tutorial.steps
    for step in tutorial.steps:
        broken = dict(texts)
        broken[lang] = _drop_line(texts[lang], f"step.{step.id}", "text")
        with pytest.raises(ContentError, match=rf"{lang.value}\.toml step {step.id}: missing text"):
            parse_tutorial(structure, broken)


def test_shipped_files_break_when_an_alt_text_goes_missing(tutorial: Tutorial) -> None:
    structure, texts = _shipped()
    for name in sorted(tutorial.images):
        broken = dict(texts)
        broken[Language.SV] = _drop_line(texts[Language.SV], "image", name)
        with pytest.raises(ContentError, match=rf"sv\.toml: \[image\] is missing {name}\b"):
            parse_tutorial(structure, broken)
