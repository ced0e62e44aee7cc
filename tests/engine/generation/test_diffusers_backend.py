"""The diffusers backend end to end on CPU with tiny random-weight SDXL components.

The models are saved to disk once per session and loaded through the backend's real loading
code (local folders), so these tests cover loading, the IP-Adapter-FaceID path, ControlNets,
progress and cancellation exactly as production runs them, minus the size.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
import torch
from PIL import Image

from engine.errors import GenerationCancelledError, ModelUnavailableError
from engine.generation.diffusers_backend import DiffusersBackend
from engine.generation.options import GenerationOptions
from engine.progress import CancelToken, ProgressEvent, ignore_progress
from engine.prompts import build_request, plan_candidates
from engine.styles import StyleLibrary
from engine.types import Attribute, Candidate, FaceCrop, GenerationRequest, IdentityProfile
from tests.engine.conftest import synthetic_crop
from tests.engine.tiny_sdxl import ID_EMBED_DIM, IP_ADAPTER_WEIGHT, TinyModels

SIZE = 64
STEPS = 3
CPU = GenerationOptions(
    device="cpu", dtype="float32", controlnets=("canny", "openpose"), scheduler="euler", local_files_only=True
)


def identity(seed: int = 0) -> IdentityProfile:
    vector = np.random.default_rng(seed).standard_normal(ID_EMBED_DIM).astype(np.float32)
    return IdentityProfile(vector / np.linalg.norm(vector), "insightface", 0.4, ("a.jpg",), (1.0,))


@pytest.fixture(scope="module")
def backend(tiny_models: TinyModels) -> DiffusersBackend:
    return DiffusersBackend.load(tiny_models.model_ids(), replace(CPU, batch_size=2))


@pytest.fixture(scope="module")
def instantid_backend(tiny_models: TinyModels) -> DiffusersBackend:
    return DiffusersBackend.load(tiny_models.model_ids(), replace(CPU, identity="instantid", controlnets=()))


def make_request(crops: list[FaceCrop], count: int = 2, **changes: object) -> GenerationRequest:
    template = StyleLibrary.builtin().get("corporate")
    specs = plan_candidates(
        template, [Attribute("glasses", "yes", 0.95)], count, seed=7, reference_faces=crops
    )
    request = build_request(template, specs, identity(), crops, width=SIZE, height=SIZE, steps=STEPS)
    return replace(request, **changes)  # type: ignore[arg-type]


def run(backend: DiffusersBackend, request: GenerationRequest) -> list[Candidate]:
    return backend.generate(request, progress=ignore_progress, cancel=CancelToken())


def pixels(candidate: Candidate) -> np.ndarray:
    return np.asarray(candidate.image, dtype=np.int16)


def test_generates_one_image_per_candidate_with_its_parameters(
    backend: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    request = make_request(crops, count=3)
    events: list[ProgressEvent] = []
    candidates = backend.generate(request, progress=events.append, cancel=CancelToken())
    assert len(candidates) == 3
    for candidate, spec in zip(candidates, request.candidates, strict=True):
        assert candidate.image.size == (SIZE, SIZE)
        assert candidate.image.mode == "RGB"
        assert candidate.seed == spec.seed
        assert candidate.params["prompt"] == spec.prompt
        assert candidate.params["controls"] == {"openpose": 0.6}
        assert candidate.params["control_ends"] == {"openpose": 0.6}
        assert candidate.params["variation"] == spec.params["variation"]
    assert np.asarray(candidates[0].image).std() > 0
    # batch_size 2: two batches of STEPS steps, reported as one run.
    assert [(e.stage, e.step, e.total) for e in events] == [("generate", i, 2 * STEPS) for i in range(1, 7)]


def test_same_seed_same_image_other_seed_other_image(
    backend: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    request = make_request(crops, count=1)
    first, again = run(backend, request)[0], run(backend, request)[0]
    assert np.array_equal(pixels(first), pixels(again))
    other = replace(
        request, candidates=(replace(request.candidates[0], seed=request.candidates[0].seed + 1),)
    )
    assert not np.array_equal(pixels(first), pixels(run(backend, other)[0]))


def test_identity_embedding_reaches_the_unet(backend: DiffusersBackend, crops: list[FaceCrop]) -> None:
    request = make_request(crops, count=1)
    a = run(backend, request)[0]
    b = run(backend, replace(request, identity=identity(seed=1)))[0]
    assert np.abs(pixels(a) - pixels(b)).mean() > 0.5
    # With the adapter's scale at zero the embedding no longer matters: the difference above
    # came through IP-Adapter-FaceID, not from anywhere else.
    off_a = run(backend, replace(request, identity_scale=0.0))[0]
    off_b = run(backend, replace(request, identity=identity(seed=1), identity_scale=0.0))[0]
    assert np.array_equal(pixels(off_a), pixels(off_b))


def test_control_image_reaches_the_unet(backend: DiffusersBackend, crops: list[FaceCrop]) -> None:
    request = make_request(crops, count=1, control_weights={"canny": 1.0})
    spec = request.candidates[0]
    shifted = synthetic_crop("other.jpg", shift=-20)
    from engine.conditioning import canny_image

    moved = replace(spec, control_images={"canny": canny_image(shifted)})
    a = run(backend, request)[0]
    b = run(backend, replace(request, candidates=(moved,)))[0]
    assert np.abs(pixels(a) - pixels(b)).mean() > 0.5
    assert a.params["controls"] == {"canny": 1.0}
    plain = run(backend, replace(request, control_weights={}))[0]
    assert plain.params["controls"] == {}
    assert not np.array_equal(pixels(a), pixels(plain))


def test_two_controlnets_together(backend: DiffusersBackend, crops: list[FaceCrop]) -> None:
    request = make_request(crops, count=2, control_weights={"canny": 0.5, "openpose": 0.7, "depth": 0.5})
    candidates = run(backend, request)
    assert [c.params["controls"] for c in candidates] == [{"canny": 0.5, "openpose": 0.7}] * 2


def test_cancel_stops_between_steps(backend: DiffusersBackend, crops: list[FaceCrop]) -> None:
    request = make_request(crops, count=4)
    cancel = CancelToken()
    events: list[ProgressEvent] = []

    def progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.step == 2:
            cancel.cancel()

    with pytest.raises(GenerationCancelledError):
        backend.generate(request, progress=progress, cancel=cancel)
    assert [e.step for e in events] == [1, 2]
    assert events[-1].total == 2 * STEPS


def test_instantid_mode_follows_the_face_keypoints(
    instantid_backend: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    request = make_request(crops[:1], count=1, control_weights={})
    # Framing places the eyes, so a shifted face draws the same keypoints; a turned head
    # (the nose off the eyes' centre line) draws other ones.
    face = crops[0].face
    nose_turned = np.asarray(face.landmarks, dtype=np.float32).copy()
    nose_turned[2:, 0] += 24
    turned = replace(crops[0], face=replace(face, landmarks=nose_turned))
    moved = make_request([turned], count=1, control_weights={})
    a, b = run(instantid_backend, request)[0], run(instantid_backend, moved)[0]
    assert a.params["controls"] == {"instantid": 0.8}
    assert a.params["identity"] == "instantid"
    assert a.params["identity_adapter"] == "instantid"
    assert np.abs(pixels(a) - pixels(b)).mean() > 0.03  # a few keypoint pixels at 64 px


def test_instantid_identitynet_sees_the_embedding(
    instantid_backend: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    # With the UNet's adapter scale at zero only the IdentityNet can carry the embedding.
    request = make_request(crops[:1], count=1, control_weights={}, identity_scale=0.0)
    a = run(instantid_backend, request)[0]
    b = run(instantid_backend, replace(request, identity=identity(seed=1)))[0]
    assert np.abs(pixels(a) - pixels(b)).mean() > 0.1
    assert not instantid_backend.models.controlnets["instantid"]._forward_pre_hooks


def test_profile_from_the_wrong_face_backend_is_refused(
    backend: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    dlib_profile = IdentityProfile(np.full(128, 128**-0.5, dtype=np.float32), "dlib", 0.93, ("a",), (1.0,))
    with pytest.raises(ModelUnavailableError, match=r"512-value ArcFace.*IDENTITY_FACE_PACK"):
        run(backend, make_request(crops, identity=dlib_profile))


def test_bad_size_is_refused(backend: DiffusersBackend, crops: list[FaceCrop]) -> None:
    with pytest.raises(ValueError, match=r"request\.width"):
        run(backend, make_request(crops, width=70))


def test_missing_models_name_each_file_and_its_own_download(tiny_models: TinyModels, tmp_path: Path) -> None:
    ids = tiny_models.model_ids()
    with pytest.raises(ModelUnavailableError) as info:
        DiffusersBackend.load(
            replace(ids, base="stabilityai/stable-diffusion-xl-base-1.0"), replace(CPU, dtype="bfloat16")
        )
    message = info.value.user_message
    # One command per file, the fp16 variant (never `huggingface-cli download <repo>` alone).
    sdxl = "stabilityai/stable-diffusion-xl-base-1.0"
    assert f"`huggingface-cli download {sdxl} unet/diffusion_pytorch_model.fp16.safetensors`" in message
    assert "text_encoder_2/model.fp16.safetensors" in message
    assert "HEADSHOTS_BASE_MODEL_ID" in message
    assert info.value.code == "weights_missing"
    with pytest.raises(ModelUnavailableError, match=f"missing from the folder {tmp_path / 'nothing'}"):
        DiffusersBackend.load(replace(ids, base=tmp_path / "nothing"), CPU)
    missing_canny = replace(ids, controlnets=MappingProxyType({"canny": "headshots-test/no-such-canny"}))
    with pytest.raises(
        ModelUnavailableError,
        match=re.escape("`huggingface-cli download headshots-test/no-such-canny config.json`"),
    ):
        DiffusersBackend.load(missing_canny, replace(CPU, controlnets=("canny",)))
    with pytest.raises(ModelUnavailableError, match="'depth' ControlNet"):
        DiffusersBackend.load(ids, replace(CPU, controlnets=("depth",)))
    with pytest.raises(
        ModelUnavailableError, match=f"{IP_ADAPTER_WEIGHT} is missing from the folder {tmp_path}"
    ):
        DiffusersBackend.load(replace(ids, ip_adapter=tmp_path), replace(CPU, controlnets=()))
    no_lora = replace(ids, ip_adapter_lora="ip-adapter-faceid_sdxl_lora.safetensors")
    with pytest.raises(
        ModelUnavailableError, match=re.escape("FaceID LoRA: ip-adapter-faceid_sdxl_lora.safetensors")
    ):
        DiffusersBackend.load(no_lora, replace(CPU, controlnets=()))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_no_gpu_is_a_clear_error(tiny_models: TinyModels) -> None:
    with pytest.raises(ModelUnavailableError, match="needs a CUDA GPU") as info:
        DiffusersBackend.load(tiny_models.model_ids(), replace(CPU, device="auto"))
    assert info.value.code == "no_gpu"


def test_control_images_default_to_the_reference_selfies(
    backend: DiffusersBackend, crops: list[FaceCrop]
) -> None:
    request = make_request(crops, count=1, control_weights={"canny": 1.0})
    bare = replace(request, candidates=(replace(request.candidates[0], control_images={}),))
    given = run(backend, request)[0]
    made = run(backend, bare)[0]
    assert np.array_equal(pixels(given), pixels(made))
    assert isinstance(given.image, Image.Image)


def test_few_step_mode_loads_the_lora_and_runs_few_steps(
    tiny_models: TinyModels, crops: list[FaceCrop]
) -> None:
    fast = DiffusersBackend.load(
        tiny_models.model_ids(), replace(CPU, fast=True, fast_steps=2, controlnets=())
    )
    request = make_request(crops, count=1, control_weights={})
    events: list[ProgressEvent] = []
    with_lora = fast.generate(request, progress=events.append, cancel=CancelToken())[0]
    assert [e.step for e in events] == [1, 2]
    assert (with_lora.params["steps"], with_lora.params["guidance"]) == (2, 0.0)
    assert with_lora.params["scheduler"] == "euler_trailing"
    assert fast.models.pipe.scheduler.config.timestep_spacing == "trailing"
    fast.models.pipe.disable_lora()
    without_lora = run(fast, request)[0]
    assert np.abs(pixels(with_lora) - pixels(without_lora)).mean() > 0.5
