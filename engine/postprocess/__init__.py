"""Seed stage 6: from a raw candidate to a finished 2048 px headshot.

Each step is its own module and a style turns it on or tunes it through its
`PostProcessSettings`: background (`background.py`), white balance, exposure and grade
(`colour.py`), retouch (`retouch.py`), upscale (`upscale.py`), detail (`detail.py`). The
look steps run at generation size (cheap); upscale and detail run last. Every step a
candidate went through is listed in `params["postprocess"]`, so a step is never applied
twice (the preview backend already applies the look) and the album says what was done.

Segmentation is for the studio preview only: a diffusion candidate's backdrop is the one the
prompt asked for, and cutting it out (GrabCut) would paint a flat grey over it and leave
halos round the hair. `finish` therefore keeps a generated candidate's background.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from PIL import Image

from engine.postprocess.background import GrabCutSegmenter, PersonSegmenter, replace_background
from engine.postprocess.colour import apply_grade, correct_exposure, white_balance
from engine.postprocess.detail import enhance_detail
from engine.postprocess.retouch import retouch
from engine.postprocess.upscale import ALBUM_SIDE, LanczosUpscaler, Upscaler, load_upscaler
from engine.quality import counted_faces
from engine.styles import PostProcessSettings
from engine.types import Candidate, Face, ImageArray, as_array

__all__ = [
    "ALBUM_SIDE",
    "GrabCutSegmenter",
    "LanczosUpscaler",
    "PersonSegmenter",
    "PostProcessor",
    "Upscaler",
    "load_upscaler",
]

DETAIL_AMOUNT = 0.5
LOOK_STEPS = ("background", "white_balance", "exposure", "retouch", "grade")
FaceDetector = Callable[[ImageArray], list[Face]]


def _face_box(face: Face, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = face.bbox
    return max(0, int(x0)), max(0, int(y0)), min(shape[1], int(x1)), min(shape[0], int(y1))


class PostProcessor:
    """Holds the upscaler, the segmenter and a face detector; build once, reuse per candidate."""

    def __init__(
        self,
        *,
        upscaler: Upscaler | None = None,
        segmenter: PersonSegmenter | None = None,
        detect: FaceDetector | None = None,
        long_side: int = ALBUM_SIDE,
    ) -> None:
        self.upscaler = upscaler if upscaler is not None else LanczosUpscaler()
        self.segmenter = segmenter if segmenter is not None else GrabCutSegmenter()
        self.detect = detect
        self.long_side = long_side

    def apply_look(
        self, image: ImageArray, face: Face | None, settings: PostProcessSettings
    ) -> tuple[ImageArray, list[str]]:
        """Background, white balance, exposure, retouch and grade at the image's own size.

        Steps that need the face (background, retouch) are skipped without one."""
        done: list[str] = []
        if face is not None and settings.background != "keep":
            alpha = self.segmenter.segment(image, face)
            image = replace_background(image, alpha, settings.background)
            done.append(f"background:{self.segmenter.name}")
        if settings.colour_grade != "none":
            image = white_balance(image)
            image = correct_exposure(image, _face_box(face, image.shape) if face is not None else None)
            done += ["white_balance", "exposure"]
        if face is not None and settings.retouch > 0:
            image = retouch(image, face, settings.retouch)
            done.append("retouch")
        if settings.colour_grade != "none":
            image = apply_grade(image, settings.colour_grade)
            done.append(f"grade:{settings.colour_grade}")
        return image, done

    def finish(self, candidate: Candidate, settings: PostProcessSettings) -> Candidate:
        """The delivered image: the look (unless already applied; never a cut-out backdrop for
        a generated candidate), then upscale and detail."""
        done = list(candidate.params.get("postprocess", []))
        image = as_array(candidate.image)
        if candidate.params.get("backend") != "preview":
            settings = dataclasses.replace(settings, background="keep")
        if not any(step.split(":")[0] in LOOK_STEPS for step in done):
            image, look = self.apply_look(image, self._one_face(image), settings)
            done += look
        upscaled = self.upscaler.upscale(Image.fromarray(image, "RGB"), self.long_side)
        done.append(f"upscale:{self.upscaler.name}")
        final = enhance_detail(np.asarray(upscaled), DETAIL_AMOUNT)
        done.append("detail")
        params = {**candidate.params, "postprocess": done}
        return dataclasses.replace(candidate, image=Image.fromarray(final, "RGB"), params=params)

    def _one_face(self, image: ImageArray) -> Face | None:
        if self.detect is None:
            return None
        people = counted_faces(self.detect(image))
        return people[0] if len(people) == 1 else None
