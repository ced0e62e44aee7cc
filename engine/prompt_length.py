"""How long a prompt is for SDXL's CLIP text encoders, with or without a tokenizer.

CLIP reads 77 tokens (75 plus start and end) per window. Our prompt encoder chunks longer
prompts into several windows instead of truncating them, but past a couple of windows the
extra words barely steer the image, so styles are refused above `MAX_PROMPT_TOKENS`.
"""

from __future__ import annotations

import math
import re
from typing import Any

CLIP_WINDOW = 75
"""Content tokens per CLIP window (77 minus the start and end tokens)."""
MAX_PROMPT_TOKENS = 2 * CLIP_WINDOW

_PIECES = re.compile(r"[a-z]+|\d|[^\sa-z\d]", re.IGNORECASE)
_CHARS_PER_PIECE = 6


def estimate_tokens(text: str) -> int:
    """A conservative (high) estimate of CLIP BPE tokens: every digit and punctuation mark is
    one, and a word counts one per six letters (CLIP's vocabulary holds most English words
    whole, so real counts are at or below this)."""
    total = 0
    for piece in _PIECES.findall(text):
        total += math.ceil(len(piece) / _CHARS_PER_PIECE) if piece[0].isalpha() else 1
    return total


def count_prompt_tokens(text: str, tokenizer: Any | None = None) -> int:
    """Content tokens of `text`: exact with a CLIP tokenizer, else `estimate_tokens`."""
    if tokenizer is None:
        return estimate_tokens(text)
    ids = tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"]
    return len(ids)
