"""Seed stage 7 (planning): the batch of candidate specs for one order.

The prompts and style axes (attire, expression, lighting, framing, background) come from the
style through `engine.prompts.plan_candidates`; this module decides how many candidates an
order gets and which of the user's best selfies each one takes its pose from, and records
the camera choices (key-light side, zoom, tilt) every backend can honour. All choices come
from one seeded RNG, so the same order plans the same batch.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence
from typing import Any

from engine.framing import zoom_for
from engine.more_like import near_references
from engine.prompts import plan_candidates
from engine.styles import StyleTemplate
from engine.types import Attribute, CandidateSpec, FaceCrop

MIN_CANDIDATES, MAX_CANDIDATES = 1, 100
"""An order normally has 20-100 candidates (`Settings.candidates_per_order`); fewer is allowed
for previews and tests."""
POSE_REFERENCES = 15
"""How many of the user's selfies poses are taken from: every usable one of a full set, so
the batch spreads over the person's real head poses (only the keypoints are used, so a
slightly softer selfie is as good a pose reference as the sharpest)."""
LIGHTS = ("front", "left", "right", "butterfly")
"""Key-light positions the preview renders (the diffusion prompt carries the style's own)."""
MAX_TILT = 3.0
"""Degrees of head tilt a candidate may add, for a natural, unposed look."""


def plan_variations(
    template: StyleTemplate,
    attributes: Sequence[Attribute],
    references: Sequence[FaceCrop],
    *,
    count: int,
    seed: int,
    anchor: Mapping[str, Any] | None = None,
) -> list[CandidateSpec]:
    """`count` specs varying seed, pose reference, lighting, expression and framing.

    `references` are the user's aligned selfies, best first; poses cycle through the first
    `POSE_REFERENCES`, so every usable selfie is used before any repeats. `anchor` is the
    params of a delivered candidate the user wants "more like": its light and variation
    values are kept, poses come from its own reference and the selfies whose pose is near the
    one its stored descriptor shows (`engine.more_like.near_references`), and seeds and a
    small tilt vary.
    """
    if not MIN_CANDIDATES <= count <= MAX_CANDIDATES:
        raise ValueError(f"count must be from {MIN_CANDIDATES} to {MAX_CANDIDATES}, got {count}")
    if not references:
        raise ValueError("references must hold at least one aligned selfie")
    best = list(references[:POSE_REFERENCES])
    fixed: dict[str, str] = {}
    if anchor:
        best = near_references(anchor, references)
        fixed = {str(k): str(v) for k, v in dict(anchor.get("variation") or {}).items()}
    specs = plan_candidates(template, attributes, count, seed, reference_faces=best, fixed=fixed)
    rng = random.Random(seed ^ 0x5EED)
    lights = [LIGHTS[(i + rng.randrange(len(LIGHTS))) % len(LIGHTS)] for i in range(count)]
    anchor_light = dict((anchor or {}).get("camera") or {}).get("light")
    if anchor_light in LIGHTS:
        lights = [anchor_light] * count
    planned = []
    for spec, light in zip(specs, lights, strict=True):
        variation = dict(spec.params.get("variation", {}))
        camera = {
            "light": light,
            "zoom": zoom_for(variation.get("framing")),
            "tilt": round(rng.uniform(-MAX_TILT, MAX_TILT), 2),
        }
        params = {**spec.params, "camera": camera, "anchored": bool(anchor)}
        params.setdefault("reference", best[spec.params.get("index", 0) % len(best)].source_name)
        planned.append(dataclasses.replace(spec, params=params))
    return planned
