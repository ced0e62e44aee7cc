"""InstantID and FaceID-PlusV2 fed as their authors feed them, with tiny random weights.

The adapters are saved in the original repositories' checkpoint layouts (InstantID's
16-query Resampler, FaceID-Plus' perceiver over CLIP patches) and loaded by diffusers'
own `load_ip_adapter`; the identity embedding comes from a tiny antelopev2-named
insightface pack through the real `FaceAnalysis` code.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from engine.errors import ModelUnavailableError
from engine.generation.diffusers_backend import DiffusersBackend
from engine.pipeline import load_engine_resources
from engine.styles import StyleLibrary, parse_style
from engine.types import FaceCrop, IdentityProfile
from tests.engine import tiny_insightface
from tests.engine.generation.identity_fixtures import square_selfie
from tests.engine.generation.test_diffusers_backend import CPU, make_request, pixels, run
from tests.engine.tiny_sdxl import INSTANTID_TOKENS, PLUSV2_LORA_WEIGHT, PLUSV2_WEIGHT, TinyModels

QUIET = replace(CPU, controlnets=(), face_detail=False)


@pytest.fixture(scope="module")
def antelope_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("insightface")
    tiny_insightface.build_antelopev2(root)
    return root


@pytest.fixture(scope="module")
def instantid(tiny_models: TinyModels, antelope_root: Path) -> DiffusersBackend:
    ids = replace(tiny_models.model_ids(), identity_face_pack="antelopev2", face_root=antelope_root)
    return DiffusersBackend.load(ids, replace(QUIET, identity="instantid"))


@pytest.fixture(scope="module")
def plus(tiny_models: TinyModels) -> DiffusersBackend:
    ids = replace(
        tiny_models.model_ids(), ip_adapter_weight=PLUSV2_WEIGHT, ip_adapter_lora=PLUSV2_LORA_WEIGHT
    )
    return DiffusersBackend.load(ids, QUIET)


def profile_of(name: str) -> IdentityProfile:
    vector = np.full(512, 512**-0.5, np.float32)
    return IdentityProfile(vector, "insightface", 0.4, (name,), (1.0,))


def test_instantid_resampler_gets_the_raw_embedding_and_gives_16_tokens(
    instantid: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    unet: Any = instantid.models.pipe.unet
    processors = [p for p in unet.attn_processors.values() if hasattr(p, "num_tokens")]
    assert processors
    assert all(p.num_tokens == [INSTANTID_TOKENS] for p in processors)
    assert instantid.models.identity is not None
    assert instantid.models.identity.raw_embedding
    selfie = square_selfie("a.jpg")
    encoder = instantid.models.face_encoder
    assert encoder is not None
    assert encoder.pack == "antelopev2"
    raw = encoder.detect(np.asarray(selfie.photo.image))[0].embedding
    assert raw is not None
    assert np.linalg.norm(raw) > 5  # ArcFace's raw output, not a unit vector
    calls: list[tuple[torch.Tensor, torch.Tensor]] = []
    projection = unet.encoder_hid_proj.image_projection_layers[0]
    handle = projection.register_forward_hook(
        lambda _m, args, out: calls.append((args[0].clone(), out.clone()))
    )
    request = make_request(crops[:1], count=1, control_weights={}, identity=profile_of("a.jpg"))
    try:
        run(instantid, replace(request, reference_selfies=(selfie,)))
    finally:
        handle.remove()
    inputs, outputs = calls[0]
    assert torch.equal(inputs[0], torch.zeros_like(inputs[0]))  # the unconditional half
    np.testing.assert_allclose(inputs[1].flatten().numpy(), raw, rtol=1e-5)
    assert outputs.shape[-2:] == (INSTANTID_TOKENS, unet.config.cross_attention_dim)


def test_instantid_tokens_reach_the_unet_cross_attention(
    instantid: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    # IdentityNet at zero weight: only the UNet's own cross-attention sees the tokens.
    request = make_request(crops[:1], count=1, control_weights={"instantid": 0.0})
    a = run(instantid, request)[0]
    b = run(instantid, replace(request, identity=_other_profile()))[0]
    assert np.abs(pixels(a) - pixels(b)).mean() > 0.1
    off = replace(request, identity_scale=0.0)
    assert np.array_equal(
        pixels(run(instantid, off)[0]), pixels(run(instantid, replace(off, identity=_other_profile()))[0])
    )


def _other_profile() -> IdentityProfile:
    vector = np.random.default_rng(5).standard_normal(512).astype(np.float32)
    return IdentityProfile(vector, "insightface", 0.4, ("b.jpg",), (1.0,))


def test_a_128_value_face_backend_is_refused_at_start_up(tiny_models: TinyModels) -> None:
    with pytest.raises(ModelUnavailableError, match=r"reads 512-value .* gives 128.*antelopev2") as info:
        DiffusersBackend.load(tiny_models.model_ids(), replace(QUIET, identity="instantid"), profile_dim=128)
    assert info.value.code == "embedding_mismatch"
    with pytest.raises(ModelUnavailableError, match=r"reads 512-value .* gives 128.*buffalo_l"):
        DiffusersBackend.load(tiny_models.model_ids(), QUIET, profile_dim=128)


def test_missing_antelopev2_files_are_named(tiny_models: TinyModels, tmp_path: Path) -> None:
    ids = replace(tiny_models.model_ids(), identity_face_pack="antelopev2", face_root=tmp_path)
    with pytest.raises(ModelUnavailableError, match=r"missing scrfd_10g_bnkps.onnx, glintr100.onnx"):
        DiffusersBackend.load(ids, replace(QUIET, identity="instantid"))


def test_faceid_plusv2_runs_with_clip_features_shortcut_and_its_lora(
    plus: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    assert plus.models.identity is not None
    assert (plus.models.identity.kind, plus.models.identity.shortcut) == ("faceid_plus", True)
    pipe: Any = plus.models.pipe
    assert "faceid" in pipe.get_active_adapters()
    request = replace(
        make_request(crops[:1], count=1, control_weights={}, identity=profile_of("a.jpg")),
        reference_selfies=(square_selfie("a.jpg"),),
    )
    a = run(plus, request)[0]
    projection = pipe.unet.encoder_hid_proj.image_projection_layers[0]
    assert projection.shortcut is True
    assert tuple(projection.clip_embeds.shape) == (2, 1, 50, 32)  # CFG halves, 1 face, CLS + 7x7 patches
    # The aligned face's CLIP features reach the UNet ...
    other_face = replace(request, reference_selfies=(square_selfie("a.jpg", brightness=120),))
    assert np.abs(pixels(a) - pixels(run(plus, other_face)[0])).mean() > 0.1
    # ... and so does the FaceID LoRA.
    pipe.disable_lora()
    try:
        without = run(plus, request)[0]
    finally:
        pipe.enable_lora()
    assert np.abs(pixels(a) - pixels(without)).mean() > 0.1
    assert a.params["identity_adapter"] == "faceid_plus"


def test_faceid_plus_needs_the_selfies(plus: DiffusersBackend, crops: list[FaceCrop]) -> None:
    with pytest.raises(ValueError, match="reference_selfies"):
        run(plus, make_request(crops[:1], count=1, control_weights={}))


def test_only_the_controlnets_the_styles_use_are_loaded(tiny_models: TinyModels, tmp_path: Path) -> None:
    builtin = StyleLibrary.builtin()
    assert builtin.control_kinds() == ("openpose",)
    spec = {
        "name": "edges",
        "prompt": "photo of {subject}",
        "controlnets": {"canny": {"weight": 0.2, "end": 0.4}},
    }
    edges = parse_style(spec, builtin=False)
    assert (edges.controlnets["canny"], edges.control_ends["canny"]) == (0.2, 0.4)
    assert StyleLibrary([edges]).control_kinds() == ("canny",)
    resources = load_engine_resources(
        backends=("diffusers",),
        diffusers_models=tiny_models.model_ids(),
        diffusers_options=replace(QUIET, controlnets=None, identity="none"),
    )
    backend = resources.backends["diffusers"]
    assert isinstance(backend, DiffusersBackend)
    assert set(backend.models.controlnets) == {"openpose"}
