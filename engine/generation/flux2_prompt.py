"""Style prompts rewritten for FLUX.2's text encoder (Qwen3): sentences, not tag lists.

Our style templates are written as comma-separated phrases for SDXL's CLIP encoders. Qwen3
reads language: it does best with a description of the picture that says who is in it and
what they wear and where. The subject is tied to the reference photos, since with
references the model is asked to keep that face, not to invent one.
"""

from __future__ import annotations

import re

_WEARING = re.compile(r"^(wearing|in a|in an|dressed)\b")
_EXPRESSION = re.compile(r"\b(smile|smiling|expression|grin|laugh|look|gaze)\b")
_SETTING = re.compile(
    r"\b(backdrop|background|office|studio|room|street|outdoors|park|city|bokeh|wall|window)\b"
)
_LIGHT = re.compile(r"\b(light|lighting|lit|sun|glow|shadow)\b")
_FRAMING = re.compile(r"\b(head and shoulders|framing|portrait crop|close-up|chest-up|waist-up|turned)\b")
_CAMERA = re.compile(r"\b(lens|mm|f/\d|camera|photograph|shot|bokeh|focus|texture|skin)\b")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def descriptive_prompt(prompt: str, references: int = 1) -> str:
    """One tag-style style prompt as a few plain sentences about the referenced person."""
    phrases = [p.strip() for p in prompt.replace("\n", " ").split(",") if p.strip()]
    if not phrases:
        raise ValueError("prompt is empty")
    first, rest = phrases[0], phrases[1:]
    if not re.match(r"^(a|an|the)\b", first, re.IGNORECASE):
        first = ("An " if first[0].lower() in "aeiou" else "A ") + first
    photos = "reference photo" if references == 1 else "reference photos"
    sentences = [
        f"{first[0].upper()}{first[1:]}: the same person as in the {photos}, "
        "with their face, features, hair and skin tone kept exactly as they are."
    ]
    groups: dict[str, list[str]] = {
        "wear": [],
        "face": [],
        "setting": [],
        "light": [],
        "frame": [],
        "camera": [],
        "other": [],
    }
    for phrase in rest:
        lower = phrase.lower()
        if _WEARING.search(lower):
            groups["wear"].append(re.sub(r"^wearing\s+", "", phrase))
        elif _EXPRESSION.search(lower):
            groups["face"].append(phrase)
        elif _LIGHT.search(lower):
            groups["light"].append(phrase)
        elif _FRAMING.search(lower):
            groups["frame"].append(phrase)
        elif _SETTING.search(lower) and not _CAMERA.search(lower):
            groups["setting"].append(phrase)
        elif _CAMERA.search(lower):
            groups["camera"].append(phrase)
        else:
            groups["other"].append(phrase)
    if groups["face"]:
        sentences.append(f"They have {_join(groups['face'])}.")
    if groups["wear"]:
        sentences.append(f"They are wearing {_join(groups['wear'])}.")
    if groups["setting"]:
        sentences.append(f"Behind them is {_join(groups['setting'])}.")
    if groups["light"]:
        sentences.append(f"The light is {_join(groups['light'])}.")
    if groups["frame"]:
        sentences.append(f"The picture is framed {_join(groups['frame'])}.")
    if groups["camera"] or groups["other"]:
        sentences.append(f"The photo has {_join(groups['camera'] + groups['other'])}.")
    return " ".join(sentences)
