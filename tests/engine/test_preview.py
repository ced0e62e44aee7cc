"""The studio preview: six selfies give six different shots, no edge of a source photo shows
inside the frame, the matte follows the photo's edges, the key light is visible, and every
candidate says it is a retouch of the person's own photo."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageOps

from engine.crops import crop_face
from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessment
from engine.postprocess.matte import guided_filter, refine_matte
from engine.preview import EDGE_FADE, PREVIEW_LABEL, frame_headshot, relight
from engine.progress import CancelToken, ignore_progress
from engine.prompts import build_request
from engine.ranking import rank_candidates
from engine.types import AssessedPhoto, Candidate, CandidateSpec, IdentityProfile, Photo
from engine.variations import plan_variations

USABLE = (
    "selfie_01.jpg",
    "selfie_02.jpg",
    "selfie_03.jpg",
    "selfie_05.jpg",
    "selfie_06.jpg",
    "selfie_08.jpg",
)


@pytest.fixture(scope="module")
def selfies(assessed_faces: dict[str, Assessment]) -> list[AssessedPhoto]:
    found = [assessed_faces[name].assessed for name in USABLE]
    return [s for s in found if s is not None and s.face is not None]


@pytest.fixture(scope="module")
def profile(engine_resources: Any, assessed_faces: dict[str, Assessment]) -> IdentityProfile:
    verdict = engine_resources.assessor.assess_set([assessed_faces[n].signature for n in USABLE])
    assert verdict.profile is not None
    return verdict.profile  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def previews(
    engine_resources: Any, selfies: list[AssessedPhoto], profile: IdentityProfile
) -> list[Candidate]:
    template = engine_resources.styles.get("corporate")
    references = [crop_face(s.photo, s.face, 512) for s in selfies if s.face is not None]
    specs = plan_variations(template, [], references, count=6, seed=1)
    request = build_request(template, specs, profile, references, width=768, height=768)
    request = dataclasses.replace(request, reference_selfies=tuple(selfies))
    candidates: list[Candidate] = engine_resources.backend("preview").generate(
        request, progress=ignore_progress, cancel=CancelToken()
    )
    return candidates


def test_six_selfies_give_six_different_shots(
    previews: list[Candidate], profile: IdentityProfile, dlib_analyzer: DlibFaceAnalyzer
) -> None:
    assert len({c.params["reference"] for c in previews}) == 6, "every selfie once"
    assert len({(c.params["studio"]["zoom"], c.params["studio"]["light"]) for c in previews}) >= 5
    ranking = rank_candidates(previews, profile, dlib_analyzer, keep=6)
    assert len(ranking.kept) == 6, [(s.rejected, s.duplicate_of) for s in ranking.scored]
    assert all(s.duplicate_of is None for s in ranking.scored)


def test_every_candidate_says_it_is_a_retouch_and_what_was_applied(previews: list[Candidate]) -> None:
    for candidate in previews:
        params = candidate.params
        assert params["backend"] == "preview"
        assert params["label"] == PREVIEW_LABEL
        assert "not an AI-generated headshot" in PREVIEW_LABEL
        assert {"zoom", "light", "matte", "backdrop", "grade"} <= set(params["studio"])
        assert params["postprocess"][:2] == ["background:matte", f"relight:{params['studio']['light']}"]
        assert "attire" in params["not_applied"]


def test_no_edge_of_the_source_photo_shows_inside_the_frame(selfies: list[AssessedPhoto]) -> None:
    selfie = next(s for s in selfies if s.photo.name == "selfie_01.jpg")
    assert selfie.face is not None
    # Room on every side (the photo pasted on a larger canvas): the frame stays inside it.
    pad = max(selfie.photo.size)
    canvas = ImageOps.expand(selfie.photo.image, border=pad, fill=(128, 128, 128))
    shift = np.array([pad, pad], np.float32)
    face = selfie.face
    moved = dataclasses.replace(
        face,
        bbox=(face.bbox[0] + pad, face.bbox[1] + pad, face.bbox[2] + pad, face.bbox[3] + pad),
        landmarks=face.landmarks + shift,
        landmarks_68=None if face.landmarks_68 is None else face.landmarks_68 + shift,
    )
    roomy = dataclasses.replace(selfie, photo=Photo("roomy.jpg", canvas, "", "jpeg", 0), face=moved)
    spec = CandidateSpec(seed=0, prompt="", negative_prompt="", params={"camera": {"tilt": 2.0}})
    _, _, fade = frame_headshot(roomy, spec, (512, 512), zoom="chest")
    assert fade.min() > 0.99, "no edge of the photo inside the frame"
    big = selfie
    # A photo that ends just below the chin: the person fades out, no hard line.
    assert big.face is not None
    cut = int(big.face.bbox[3] + 0.3 * big.face.height)
    short = dataclasses.replace(
        big, photo=Photo(big.photo.name, big.photo.image.crop((0, 0, big.photo.size[0], cut)), "", "jpeg", 0)
    )
    _, _, fade = frame_headshot(short, spec, (512, 512), zoom="chest")
    assert fade.min() < 0.01
    steepest = float(np.abs(np.diff(fade, axis=0)).max())
    assert steepest < 2.5 / (EDGE_FADE * 512), "the fade is gradual, not a step"


def test_the_guided_filter_makes_a_blurry_mask_follow_the_photo_edge() -> None:
    image = np.full((640, 640, 3), 40, np.uint8)
    image[:, 320:] = 210
    # A rough mask 8 px off the true edge and 24 px soft, as an upsampled GrabCut cut is.
    ramp = np.clip((np.arange(640, dtype=np.float32) - 300) / 24, 0, 1).astype(np.float32)
    rough = np.repeat(ramp[None, :], 640, axis=0)
    alpha = refine_matte(image, rough)[320]
    assert int(np.argmax(np.diff(alpha))) == 319, "the steepest step is at the photo's edge"
    assert alpha[320:330].min() > 0.99 > rough[320, 320:330].min()
    assert alpha[290] < 0.01
    flat = guided_filter(np.full((50, 50), 0.5, np.float32), np.full((50, 50), 0.3, np.float32), 4, 1e-3)
    assert np.allclose(flat, 0.3, atol=1e-4)


def test_the_key_light_side_is_visibly_brighter(selfies: list[AssessedPhoto]) -> None:
    face = selfies[0].face
    assert face is not None
    grey = np.full((*np.asarray(selfies[0].photo.image).shape[:2], 3), 128, np.uint8)
    x0, y0, x1, y1 = (int(v) for v in face.bbox)
    mid = (x0 + x1) // 2
    for light, brighter in (("left", "left"), ("right", "right")):
        lit = relight(grey, light, face).astype(float)
        left, right = lit[y0:y1, x0:mid].mean(), lit[y0:y1, mid:x1].mean()
        assert (left - right if brighter == "left" else right - left) > 0.10 * 128
    Image.fromarray(grey)  # the input is left untouched
    assert int(grey.max()) == 128
