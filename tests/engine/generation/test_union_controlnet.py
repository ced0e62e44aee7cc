"""The union ControlNet option (xinsir's controlnet-union-sdxl-1.0, `ControlNetUnionModel`):
one set of weights serving every control kind the styles use, on the FaceID path, with a
tiny random-weight union model of the real class loaded through the real loading code."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest
from diffusers import ControlNetUnionModel, StableDiffusionXLControlNetUnionPipeline

from engine.conditioning import canny_image
from engine.errors import ModelUnavailableError
from engine.generation.diffusers_backend import DiffusersBackend
from engine.generation.options import UNION_MODES, GenerationOptions
from engine.progress import CancelToken, ProgressEvent
from engine.types import FaceCrop
from tests.engine.conftest import synthetic_crop
from tests.engine.generation.test_diffusers_backend import CPU, STEPS, make_request, pixels, run
from tests.engine.tiny_sdxl import TinyModels

UNION = replace(CPU, controlnets=("openpose", "canny"), control_union=True, batch_size=2)


@pytest.fixture(scope="module")
def union_backend(tiny_models: TinyModels) -> DiffusersBackend:
    return DiffusersBackend.load(tiny_models.model_ids(), UNION)


def test_one_union_model_serves_every_kind(union_backend: DiffusersBackend, crops: list[FaceCrop]) -> None:
    nets = union_backend.models.controlnets
    assert set(nets) == {"openpose", "canny"}
    assert isinstance(nets["openpose"], ControlNetUnionModel)
    assert nets["openpose"] is nets["canny"]  # one set of weights, not one per kind
    request = make_request(crops, count=2, control_weights={"openpose": 0.6, "canny": 0.4})
    events: list[ProgressEvent] = []
    candidates = union_backend.generate(request, progress=events.append, cancel=CancelToken())
    assert [c.params["controls"] for c in candidates] == [{"openpose": 0.6, "canny": 0.4}] * 2
    assert all(c.params["control_union"] for c in candidates)
    pipe = union_backend._pipelines[("openpose", "canny")]
    assert isinstance(pipe, StableDiffusionXLControlNetUnionPipeline)
    # The union pipeline takes a batch of images per kind: two kinds still batch (one run of STEPS).
    assert [e.step for e in events] == list(range(1, STEPS + 1))


def test_the_control_image_and_its_type_reach_the_unet(
    union_backend: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    edges = canny_image(synthetic_crop("edges.jpg"))
    moved = canny_image(synthetic_crop("moved.jpg", shift=-20))
    request = make_request(crops, count=1, control_weights={"canny": 1.0})
    spec = request.candidates[0]
    as_canny = replace(request, candidates=(replace(spec, control_images={"canny": edges}),))
    a = run(union_backend, as_canny)[0]
    b = run(union_backend, replace(as_canny, candidates=(replace(spec, control_images={"canny": moved}),)))[0]
    assert np.abs(pixels(a) - pixels(b)).mean() > 0.1
    # The same picture sent as openpose differs only in its control type: the type reaches the net.
    as_pose = replace(
        request,
        control_weights={"openpose": 1.0},
        candidates=(replace(spec, control_images={"openpose": edges}),),
    )
    c = run(union_backend, as_pose)[0]
    assert UNION_MODES["canny"] != UNION_MODES["openpose"]
    assert np.abs(pixels(a) - pixels(c)).mean() > 0.1
    plain = run(union_backend, replace(request, control_weights={}))[0]
    assert not plain.params["control_union"]
    assert not np.array_equal(pixels(a), pixels(plain))


def test_union_with_instantid_is_refused_at_config_check() -> None:
    with pytest.raises(ValueError, match="union ControlNet cannot run with InstantID"):
        GenerationOptions(identity="instantid", control_union=True)
    with pytest.raises(ValueError, match="no mode for"):
        GenerationOptions(controlnets=("tile-ish",), control_union=True)


def test_union_without_a_configured_model_names_the_setting(tiny_models: TinyModels) -> None:
    ids = tiny_models.model_ids()
    no_union = replace(ids, controlnets=MappingProxyType({"openpose": ids.controlnets["openpose"]}))
    with pytest.raises(ModelUnavailableError, match=r'"union" to HEADSHOTS_CONTROLNET_IDS'):
        DiffusersBackend.load(no_union, UNION)
