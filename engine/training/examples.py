"""From the person's best selfies to captioned training examples.

Each usable selfie becomes one aligned face-and-shoulders square at the training resolution
(eyes levelled, the same framing for every photo) and, when the recipe says so, its mirror
image: twice the examples from the same few selfies, as DreamBooth trainers commonly do
for faces. Captions carry the rare identifier token and what the intake found (gender
presentation, age), so the token learns the person, not "a person in their 30s".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps

from engine.crops import crop_face
from engine.errors import SetNotReadyError
from engine.prompts import describe_subject, subject_traits
from engine.training.recipe import TrainingRecipe
from engine.types import AssessedPhoto, Attribute

SHOULDERS_MARGIN = 1.5
"""Headshot crop side times this: face, hair and shoulders, as studio portraits frame them."""
MIN_EXAMPLES = 3


@dataclass(frozen=True)
class TrainingExample:
    image: Image.Image
    caption: str
    source_name: str
    flipped: bool = False


@dataclass(frozen=True)
class TrainingSet:
    """The examples plus the two prompts training needs: the instance prompt names the
    person by the token, the class prompt is what prior preservation samples."""

    examples: tuple[TrainingExample, ...]
    token: str
    class_noun: str
    instance_prompt: str
    class_prompt: str


def captions(attributes: Sequence[Attribute], token: str) -> tuple[str, str, str]:
    """(instance caption, class prompt, class noun) from the intake's confident attributes."""
    traits = subject_traits(attributes)
    subject = describe_subject(traits)  # "a man in his 30s ..."
    return (
        f"a photo of {token} {subject.removeprefix('a ')}",
        f"a photo of {subject}",
        traits.noun,
    )


def training_set(
    selfies: Sequence[AssessedPhoto], attributes: Sequence[Attribute], recipe: TrainingRecipe
) -> TrainingSet:
    """Aligned crops (and flips) of `selfies` at `recipe.resolution`, captioned."""
    usable = [s for s in selfies if s.face is not None]
    if len(usable) < MIN_EXAMPLES:
        raise SetNotReadyError(
            f"A studio model needs at least {MIN_EXAMPLES} good selfies with one clear face; "
            f"{len(usable)} were usable. Send a few more."
        )
    instance, class_prompt, noun = captions(attributes, recipe.token)
    examples: list[TrainingExample] = []
    for selfie in usable:
        assert selfie.face is not None
        crop = crop_face(selfie.photo, selfie.face, recipe.resolution, margin=SHOULDERS_MARGIN)
        examples.append(TrainingExample(crop.image, instance, selfie.photo.name))
        if recipe.flips:
            examples.append(
                TrainingExample(ImageOps.mirror(crop.image), instance, selfie.photo.name, flipped=True)
            )
    return TrainingSet(tuple(examples), recipe.token, noun, instance, class_prompt)
