"""Batch variations: seeded, covering the user's best selfies and the style's axes."""

from __future__ import annotations

import pytest

from engine.styles import StyleLibrary
from engine.variations import LIGHTS, MAX_CANDIDATES, POSE_REFERENCES, plan_variations
from tests.engine.conftest import synthetic_crop


def test_variations_vary_seed_pose_light_and_framing() -> None:
    template = StyleLibrary.builtin().get("corporate")
    references = [synthetic_crop(f"selfie_{i}.jpg", shift=i) for i in range(7)]
    specs = plan_variations(template, [], references, count=40, seed=7)
    assert len(specs) == 40
    assert len({s.seed for s in specs}) == 40
    used = [s.params["reference"] for s in specs]
    # Poses spread over every selfie of the set, evenly (40 candidates over 7 selfies: 5-6 each).
    assert set(used) == {f"selfie_{i}.jpg" for i in range(min(7, POSE_REFERENCES))}
    assert {used.count(name) for name in set(used)} <= {5, 6}
    assert {s.params["camera"]["light"] for s in specs} == set(LIGHTS)
    assert {s.params["camera"]["zoom"] for s in specs} >= {"head", "chest"}
    for axis in ("expression", "lighting", "framing"):
        assert len({s.params["variation"][axis] for s in specs}) == len(template.variations[axis])
    again = plan_variations(template, [], references, count=40, seed=7)
    assert [(s.seed, s.prompt, s.params["camera"]) for s in specs] == [
        (s.seed, s.prompt, s.params["camera"]) for s in again
    ]
    other = plan_variations(template, [], references, count=40, seed=8)
    assert [s.seed for s in other] != [s.seed for s in specs]


def test_variation_count_is_checked() -> None:
    template = StyleLibrary.builtin().get("corporate")
    with pytest.raises(ValueError, match="count must be from 1 to 100"):
        plan_variations(template, [], [synthetic_crop("a.jpg")], count=MAX_CANDIDATES + 1, seed=0)
    with pytest.raises(ValueError, match="references"):
        plan_variations(template, [], [], count=4, seed=0)


def test_more_like_keeps_the_anchor_look_and_varies_the_seed() -> None:
    template = StyleLibrary.builtin().get("corporate")
    references = [synthetic_crop(f"selfie_{i}.jpg", shift=i) for i in range(7)]
    first = plan_variations(template, [], references, count=20, seed=3)
    anchor = first[5].params
    more = plan_variations(template, [], references, count=12, seed=99, anchor=anchor)
    assert len({s.seed for s in more}) == 12
    assert {s.params["reference"] for s in more} == {anchor["reference"]}
    assert {s.params["camera"]["light"] for s in more} == {anchor["camera"]["light"]}
    for spec in more:
        assert spec.params["variation"] == anchor["variation"]
    assert {s.prompt for s in more} == {first[5].prompt}
