"""Babel extractor for the built-in styles' labels and descriptions (`engine/style_templates`).

Named in `conversations/i18n/babel.cfg`; Babel calls it with an open YAML file and takes
(line, function, message, comments) tuples, as it does from its own Python extractor.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml


def extract_styles(
    fileobj: IO[bytes],
    keywords: Collection[str],  # noqa: ARG001 -- Babel's extractor signature
    comment_tags: Collection[str],  # noqa: ARG001
    options: Mapping[str, Any],  # noqa: ARG001
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """A style file's `label` and `description`, each with a comment naming the style."""
    spec = yaml.safe_load(fileobj.read().decode("utf-8")) or {}
    name = str(spec.get("name", ""))
    for field in ("label", "description"):
        text = str(spec.get(field) or "").strip()
        if text:
            yield 1, None, text, [f"The {field} of the style '{name}'."]
