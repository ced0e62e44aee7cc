"""The engine's own advice, as the assessor writes it for real bad uploads, is matched by one of
the conversation's translation templates (`conversations/shared/advice.py`). The templates
restate the engine's sentences; without this check an engine sentence edited on one side
would silently reach Spanish, German... users in English."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageFilter

from conversations.i18n.translate import use_locale
from conversations.shared.advice import engine_text
from engine.intake import Assessor


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=92)
    return out.getvalue()


def test_every_sentence_the_assessor_writes_for_bad_photos_has_a_template(
    assessor: Assessor, person_a_paths: list[Path]
) -> None:
    with Image.open(person_a_paths[0]) as opened:
        selfie = opened.convert("RGB")
    pair = Image.new("RGB", (selfie.width * 2, selfie.height))
    pair.paste(selfie, (0, 0))
    pair.paste(selfie, (selfie.width, 0))
    uploads = {
        "small": _jpeg(selfie.resize((selfie.width // 8, selfie.height // 8))),
        "upside down": _jpeg(selfie.rotate(180)),
        "dark": _jpeg(selfie.point(lambda v: v // 10)),
        "blurred": _jpeg(selfie.filter(ImageFilter.GaussianBlur(12))),
        "no face": _jpeg(Image.new("RGB", (1200, 1600), (128, 128, 128))),
        "two people": _jpeg(pair),
        "broken": b"\xff\xd8\xff\xe0 not really a jpeg",
        "text": b"hello",
    }
    sentences = {
        issue.message: name
        for name, data in uploads.items()
        for issue in assessor.assess(data, name).report.issues
    }
    assert len(sentences) >= 6, sentences
    with use_locale("es"):
        untranslated = {name: s for s, name in sentences.items() if engine_text(s) == s}
    assert not untranslated, f"no template matches these engine sentences: {untranslated}"
