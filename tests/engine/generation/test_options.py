"""Bad generation options fail before any model loads."""

from __future__ import annotations

import pytest

from engine.generation.options import GenerationOptions


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"identity": "photomaker"}, "identity must be one of"),
        ({"scheduler": "lms"}, "scheduler must be one of"),
        ({"batch_size": 0}, "batch_size"),
        ({"fast_steps": 50}, "fast_steps"),
        ({"face_detail_strength": 1.0}, "face_detail_strength"),
        ({"face_detail_size": 1000}, "face_detail_size"),
    ],
)
def test_bad_options_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GenerationOptions(**changes)  # type: ignore[arg-type]
