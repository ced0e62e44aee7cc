"""Seed stage 4: from a style template and the person's attributes to one prompt per candidate.

Attributes only reach the prompt when the detector is sure (`ATTRIBUTE_CONFIDENCE`): a wrong
"with glasses" or "in her 50s" is worse than saying nothing, because the identity adapter
already carries the face. Everything random here comes from one seeded RNG, so the same
order with the same seed plans the same candidates.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from engine.conditioning import control_images
from engine.framing import framed, zoom_for
from engine.styles import SUBJECT_SLOT, VALUE_SLOTS, StyleTemplate
from engine.types import Attribute, CandidateSpec, FaceCrop, GenerationRequest, IdentityProfile

ATTRIBUTE_CONFIDENCE = 0.8
"""Below this confidence an attribute is left out of the prompt."""

COMMON_NEGATIVE = (
    "plastic skin, waxy skin, airbrushed skin, oversaturated, overexposed, extra fingers, "
    "deformed hands, asymmetric eyes, crossed eyes, distorted face, text, watermark, logo, "
    "signature, lowres, blurry, jpeg artifacts"
)
"""Failures people complain about in AI headshots, always negated."""

_YES = {"yes", "true", "present", "1", "glasses", "eyeglasses", "beard", "full beard", "stubble"}
_NO = {"no", "false", "absent", "0", "none", "clean-shaven", "clean shaven", "no glasses", "no beard"}
_GENDER_NOUNS = {
    "man": "man", "male": "man", "masculine": "man",
    "woman": "woman", "female": "woman", "feminine": "woman",
}  # fmt: skip
_POSSESSIVE = {"man": "his", "woman": "her"}
_MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class SubjectTraits:
    """What the prompt may say about the person, from attributes the detector was sure of."""

    noun: str = "person"
    age: str | None = None
    glasses: bool | None = None
    beard: bool | None = None
    hair: str | None = None


def _confident(attributes: Iterable[Attribute], threshold: float) -> dict[str, str]:
    chosen: dict[str, tuple[float, str]] = {}
    for attribute in attributes:
        key = attribute.name.strip().lower().replace(" ", "_")
        key = {"age_range": "age", "gender_presentation": "gender", "facial_hair": "beard"}.get(key, key)
        if attribute.confidence >= threshold and attribute.confidence > chosen.get(key, (-1.0, ""))[0]:
            chosen[key] = (attribute.confidence, attribute.value.strip().lower())
    return {key: value for key, (_, value) in chosen.items()}


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    if value in _YES:
        return True
    return False if value in _NO else None


def subject_traits(attributes: Iterable[Attribute], threshold: float = ATTRIBUTE_CONFIDENCE) -> SubjectTraits:
    """Read the attributes a prompt can use: `age` ("30-39", "30s"), `gender` (man/woman),
    `glasses` and `beard` (yes/no), `hair` (free text such as "short brown hair")."""
    values = _confident(attributes, threshold)
    age = values.get("age")
    if age is not None:
        decade = age.split("-")[0].rstrip("s+")
        age = f"{int(decade) // 10 * 10}s" if decade.isdigit() and int(decade) >= 20 else None
    hair = values.get("hair")
    if hair is not None and "hair" not in hair and hair not in {"bald", "shaved head"}:
        hair = f"{hair} hair"
    return SubjectTraits(
        noun=_GENDER_NOUNS.get(values.get("gender", ""), "person"),
        age=age,
        glasses=_flag(values.get("glasses")),
        beard=_flag(values.get("beard")),
        hair=hair,
    )


def describe_subject(traits: SubjectTraits) -> str:
    """'a man in his 30s with glasses, a beard and short brown hair' (only what is known)."""
    text = f"a {traits.noun}"
    if traits.age is not None:
        text += f" in {_POSSESSIVE.get(traits.noun, 'their')} {traits.age}"
    extras = [
        *(["glasses"] if traits.glasses else []),
        *(["a beard"] if traits.beard else []),
        *([traits.hair] if traits.hair else []),
    ]
    if extras:
        text += " with " + (extras[0] if len(extras) == 1 else ", ".join(extras[:-1]) + " and " + extras[-1])
    return text


def negative_prompt(template: StyleTemplate, traits: SubjectTraits) -> str:
    """The style's negatives, the common ones, and guards against losing or inventing the
    person's glasses or beard (a classic complaint: "it took my glasses off")."""
    guards = []
    if traits.glasses is True:
        guards.append("no glasses, missing glasses")
    elif traits.glasses is False:
        guards.append("glasses, eyewear")
    if traits.beard is False:
        guards.append("beard, stubble")
    parts = [template.negative_prompt, COMMON_NEGATIVE, *guards]
    return ", ".join(part for part in parts if part)


def fill_prompt(template: StyleTemplate, subject: str, values: Mapping[str, str]) -> str:
    """The template's prompt with `{subject}` and each slot filled (`values` over `slots`)."""
    slots = {SUBJECT_SLOT: subject, **{slot: template.slots.get(slot, "") for slot in VALUE_SLOTS}}
    slots.update(values)
    return template.prompt.format(**slots)


def _axis_plan(template: StyleTemplate, count: int, rng: random.Random) -> list[dict[str, str]]:
    """Per candidate, one value per variation axis: each axis cycles through a seeded shuffle
    of its values so a batch covers every value evenly before repeating any."""
    plans: list[dict[str, str]] = [{} for _ in range(count)]
    for axis in sorted(template.variations):
        values = list(template.variations[axis])
        order: list[str] = []
        while len(order) < count:
            rng.shuffle(values)
            order.extend(values)
        for plan, value in zip(plans, order, strict=False):
            plan[axis] = value
    return plans


def plan_candidates(
    template: StyleTemplate,
    attributes: Sequence[Attribute],
    count: int,
    seed: int,
    *,
    reference_faces: Sequence[FaceCrop] = (),
    threshold: float = ATTRIBUTE_CONFIDENCE,
    fixed: Mapping[str, str] | None = None,
) -> list[CandidateSpec]:
    """`count` candidate specs for one order, deterministic for `seed`.

    `fixed` pins variation axes to given values for every candidate ("more like #3" keeps
    #3's lighting, expression and framing and varies only the seed).

    Each gets its own diffusion seed, one value per variation axis and, when the style uses
    ControlNets and `reference_faces` are given, conditioning images made from one of those
    selfies (cycling through them, so pose varies with the user's own poses).
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rng = random.Random(seed)
    traits = subject_traits(attributes, threshold)
    subject = describe_subject(traits)
    negative = negative_prompt(template, traits)
    plans = _axis_plan(template, count, rng)
    if fixed:
        plans = [{**values, **{k: v for k, v in fixed.items() if k in values}} for values in plans]
    specs = []
    for index, values in enumerate(plans):
        params: dict[str, Any] = {"style": template.name, "index": index, "variation": dict(values)}
        controls: dict[str, Image.Image] = {}
        if reference_faces:
            reference = reference_faces[index % len(reference_faces)]
            params["reference"] = reference.source_name
            # Drawn as this candidate is framed: a chest-up shot gets a small head and its
            # shoulders in view, a close-up a face that fills the frame.
            pose = framed(reference, zoom_for(values.get("framing")))
            controls = control_images((k for k, w in template.controlnets.items() if w > 0), pose)
        specs.append(
            CandidateSpec(
                seed=rng.randint(0, _MAX_SEED),
                prompt=fill_prompt(template, subject, values),
                negative_prompt=negative,
                control_images=controls,
                params=params,
            )
        )
    return specs


def build_request(
    template: StyleTemplate,
    specs: Sequence[CandidateSpec],
    identity: IdentityProfile,
    reference_faces: Sequence[FaceCrop],
    *,
    width: int = 1024,
    height: int = 1024,
    steps: int | None = None,
) -> GenerationRequest:
    """The backend request for `specs` with the style's steps, guidance and weights."""
    return GenerationRequest(
        style=template.name,
        candidates=tuple(specs),
        identity=identity,
        reference_faces=tuple(reference_faces),
        width=width,
        height=height,
        steps=steps if steps is not None else template.steps,
        guidance=template.guidance,
        control_weights=dict(template.controlnets),
        control_ends=dict(template.control_ends),
        identity_scale=template.identity_scale,
    )
