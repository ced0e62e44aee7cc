"""The engine's advice (why a selfie is refused, what the set still needs) in the user's language.

The engine speaks English and knows nothing of chats (docs/architecture.md); its sentences are
built from a few fixed patterns. `TEMPLATES` lists those patterns as source sentences with named
placeholders: an engine sentence matching one is translated as that template, its placeholder
values (a photo's name, a direction) translated in turn. A sentence no template matches is shown
as the engine wrote it. In English every sentence is shown exactly as the engine wrote it.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Final

from conversations.i18n.translate import DEFAULT_LOCALE, N_, current_locale, tr

TEMPLATES: Final = (
    # engine.quality and engine.occlusion: one photo
    N_("The photo is upside down; turn it upright and send it again."),
    N_("The photo is sideways; turn it upright and send it again."),
    N_("Face the camera: your head is {how} about {degrees} degrees."),
    N_("The light is behind you; turn around so the light falls on your face."),
    N_("Your face is too dark; face a window or a lamp."),
    N_("Your face is washed out; step out of direct light or turn off the flash."),
    N_("Half of your face is in deep shadow; face the light or use softer light."),
    N_("The photo is only {width}x{height} pixels; send one at least {pixels} pixels on the short side."),
    N_("No face found: send a photo where your face is clearly visible."),
    N_("{count} people are in this photo; send photos of just you."),
    N_("Your face is only {pixels} pixels wide; move closer or send a higher-resolution photo."),
    N_("Part of your face is cut off; keep your whole head in the frame."),
    N_("The photo is heavily compressed; send the original, not a screenshot or a forwarded copy."),
    N_("Your face is out of focus; hold the phone still and tap your face to focus."),
    N_("Your eyes look closed; send one with your eyes open."),
    N_("Take off your sunglasses: your headshots need your eyes."),
    N_("Your nose and mouth are covered (a mask or a hand?); send one with your whole face uncovered."),
    N_("Something covers your eyes (hair, a hand or a phone); move it aside so both eyes show."),
    N_("Something covers your mouth (a hand, a phone or a scarf); send one with your mouth uncovered."),
    # engine.decode: the file itself
    N_("{name} is empty (0 bytes). Please send a JPEG, PNG, WebP or HEIC photo."),
    N_("{name} is {size} MB; the limit is {limit} MB. Send it compressed (as a photo, not a file)."),
    N_("{name} looks like a video. Send still photos, not videos."),
    N_("{name} has too many pixels to process. Send a smaller photo."),
    N_("{name} is not a photo we can read. Please send a JPEG, PNG, WebP or HEIC photo."),
    N_("{name} is an animation. Send still photos."),
    N_("{name} is a {kind} we do not take. Please send a JPEG, PNG, WebP or HEIC photo."),
    N_("{name} is {width}x{height} pixels, over the {limit}-megapixel limit. Send a smaller photo."),
    N_("{name} has no pixels. Please send a JPEG, PNG, WebP or HEIC photo."),
    N_("{name} is damaged or incomplete (the upload may have been cut off). Send it again."),
    # engine.identity: the whole set
    N_("{name} looks like a different person; send only photos of you."),
    N_("{name} is the same picture as {other}, so it counts once; send a different photo instead."),
    N_("send at least {count} more"),
    N_("send at least {count} more, some {hint}"),
    N_("send at least {count} more, some {hint} and some {other}"),
    N_("{names} looks like a different person"),
    N_("{names} look like a different person"),
    N_("send only photos of the same person"),
    # engine.pipeline and engine.errors: an order that cannot start
    N_("Send your selfies first: no photos were given."),
    N_("None of the selfies shows one clear face to rank against."),
    N_("Cancelled."),
    # what fills the placeholders above
    N_("photo {number}"),
    N_("turned"),
    N_("tilted up or down"),
    N_("tilted sideways"),
    N_("with your head turned a little left or right"),
    N_("in different light"),
)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a regular expression, the most literal text first (most specific)."""
    compiled = []
    for template in TEMPLATES:
        regex, literal = "", 0
        for text, field, _spec, _conversion in string.Formatter().parse(template):
            regex += re.escape(text)
            literal += len(text)
            if field is not None:
                regex += f"(?P<{field}>.+?)"
        compiled.append((literal, re.compile(regex), template))
    compiled.sort(key=lambda item: -item[0])
    return tuple((pattern, template) for _literal, pattern, template in compiled)


def engine_text(sentence: str) -> str:
    """The engine's English `sentence` in the current locale (as it is when no template fits)."""
    if current_locale() == DEFAULT_LOCALE:
        return sentence
    return _translated(sentence)


def _translated(sentence: str) -> str:
    for pattern, template in _patterns():
        found = pattern.fullmatch(sentence)
        if found is not None:
            values = {
                key: ", ".join(map(_translated, value.split(", ")))
                for key, value in found.groupdict().items()
            }
            return tr(template).format(**values)
    return sentence


def set_advice(message: str) -> str:
    """The engine's verdict on the whole set ("5 good photos so far; send at least 1 more.")
    without its leading count, which the running count already says, in the current locale."""
    parts = message.rstrip(".").split("; ")
    if len(parts) > 1 and parts[0].split(" ", 1)[0].isdigit() and "good photo" in parts[0]:
        parts = parts[1:]
    text = "; ".join(engine_text(part) for part in parts)
    return text[:1].upper() + text[1:] + ("." if message.endswith(".") else "")
