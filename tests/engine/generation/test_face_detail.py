"""The face detail pass changes pixels inside the feathered face oval only."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from engine.generation import face_detail
from engine.generation.diffusers_backend import DiffusersBackend
from engine.types import Face, FaceCrop
from tests.engine.generation.test_diffusers_backend import CPU, make_request, pixels, run
from tests.engine.tiny_sdxl import TinyModels

FACE = Face(bbox=(22.0, 18.0, 42.0, 42.0), score=0.99, landmarks=np.zeros((5, 2), np.float32))


def test_blend_keeps_every_pixel_outside_the_mask() -> None:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
    region = face_detail.detail_region(replace(FACE, bbox=(50.0, 30.0, 80.0, 70.0)), 128, 96)
    assert region is not None
    x0, y0, x1, y1 = region.box
    assert (x1 - x0, y1 - y0) == (72, 72)
    assert region.weight.max() == 1.0
    assert region.weight[0].max() == 0.0  # the ramp reaches exactly zero before the box edge
    patch = Image.fromarray(np.full((256, 256, 3), 7, np.uint8))
    out = np.asarray(face_detail.blend(image, patch, region))
    before = np.asarray(image)
    mask = np.zeros(before.shape[:2], bool)
    mask[y0:y1, x0:x1] = region.weight > 0
    assert np.array_equal(out[~mask], before[~mask])
    assert (out[mask] != before[mask]).any()
    full = np.zeros(before.shape[:2], bool)
    full[y0:y1, x0:x1] = region.weight == 1.0
    assert (out[full] == 7).all()


def test_a_tiny_face_is_left_alone() -> None:
    assert face_detail.detail_region(replace(FACE, bbox=(5.0, 5.0, 9.0, 9.0)), 64, 64) is None


@pytest.fixture(scope="module")
def backends(tiny_models: TinyModels) -> tuple[DiffusersBackend, DiffusersBackend]:
    options = replace(CPU, controlnets=("openpose",), face_detail=True, face_detail_strength=0.5)
    detailed = DiffusersBackend.load(tiny_models.model_ids(), options)
    detailed.face_detector = lambda _image: [FACE]
    plain_models = replace(detailed.models, options=replace(options, face_detail=False))
    return detailed, DiffusersBackend(plain_models)


def test_detail_pass_redraws_the_face_and_nothing_else(
    backends: tuple[DiffusersBackend, DiffusersBackend], crops: list[FaceCrop]
) -> None:
    detailed, plain = backends
    request = make_request(crops, count=1)
    redrawn, first = run(detailed, request)[0], run(plain, request)[0]
    assert (redrawn.params["face_detail"], first.params["face_detail"]) == ("done", "off")
    region = face_detail.detail_region(FACE, *first.image.size)
    assert region is not None
    x0, y0, x1, y1 = region.box
    inside = np.zeros(first.image.size[::-1], bool)
    inside[y0:y1, x0:x1] = region.weight > 0
    changed = np.any(pixels(redrawn) != pixels(first), axis=-1)
    assert changed[inside].mean() > 0.5
    assert not changed[~inside].any()


def test_detail_pass_runs_at_least_one_step(
    backends: tuple[DiffusersBackend, DiffusersBackend], crops: list[FaceCrop]
) -> None:
    detailed, _plain = backends
    # One step at strength 0.5 would be int(0.5) = 0 image-to-image steps (diffusers fails).
    candidate = run(detailed, replace(make_request(crops, count=1), steps=1))[0]
    assert candidate.params["face_detail"] == "done"


def test_no_face_found_leaves_the_candidate_as_it_is(
    backends: tuple[DiffusersBackend, DiffusersBackend], crops: list[FaceCrop]
) -> None:
    detailed, plain = backends
    request = make_request(crops, count=1)
    detailed.face_detector = lambda _image: []
    try:
        candidate = run(detailed, request)[0]
    finally:
        detailed.face_detector = lambda _image: [FACE]
    assert candidate.params["face_detail"] == "no_face"
    assert np.array_equal(pixels(candidate), pixels(run(plain, request)[0]))


def test_instantid_detail_pass_keeps_the_identitynet_on_the_face_keypoints(
    tiny_models: TinyModels, crops: list[FaceCrop]
) -> None:
    backend = DiffusersBackend.load(
        tiny_models.model_ids(), replace(CPU, identity="instantid", controlnets=(), face_detail=True)
    )
    landmarks = np.array([[27, 26], [37, 26], [32, 31], [28, 36], [36, 36]], np.float32)
    backend.face_detector = lambda _image: [replace(FACE, landmarks=landmarks)]
    calls: list[object] = []
    identity_net = backend.models.controlnets["instantid"]
    handle = identity_net.register_forward_pre_hook(lambda _m, args: calls.append(args))
    try:
        candidate = run(backend, make_request(crops[:1], count=1, control_weights={}))[0]
    finally:
        handle.remove()
    assert candidate.params["face_detail"] == "done"
    assert ("detail", "instantid") in backend._pipelines
    # First pass (3 steps, CFG in one call) then the detail pass (strength 0.4 of 3 steps: 1).
    assert len(calls) == 4
