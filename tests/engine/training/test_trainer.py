"""Studio training on person_a's real selfies with tiny random SDXL components on CPU.

The recipe is shrunk (64 px, a dozen steps, a large learning rate) so the tiny UNet moves
in seconds; everything else is the production path: the intake's crops and attributes,
prior preservation from the base model, the face-ID adapter fed zeros, checkpoints,
resume, the diffusers LoRA file, and generation through `run_pipeline`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load as load_safetensors

from engine.generation.diffusers_backend import DiffusersBackend
from engine.pipeline import EngineResources, PipelineRequest, best_selfies, run_pipeline
from engine.training import lora
from engine.training.examples import TrainingSet, training_set
from engine.training.personal import PersonalisedBackend
from engine.training.recipe import TrainingRecipe
from engine.training.trainer import Checkpoint, TrainingModels, TrainingResult, train_lora
from tests.engine.tiny_sdxl import TinyModels, load_tiny_backend

RECIPE = TrainingRecipe(
    steps=12, rank=4, learning_rate=3e-2, resolution=64, checkpoint_every=4, class_images=2, class_steps=2
)


@pytest.fixture(scope="module")
def backend(tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> DiffusersBackend:
    loaded: DiffusersBackend = load_tiny_backend(tiny_models, tmp_path_factory.mktemp("faceid"))
    return loaded


@pytest.fixture(scope="module")
def person_a_set(engine_resources: EngineResources, person_a_selfies: list[tuple[str, bytes]]) -> TrainingSet:
    assessor = engine_resources.assessor
    assessments = [assessor.assess(data, name) for name, data in person_a_selfies]
    verdict = assessor.assess_set([a.signature for a in assessments])
    assert verdict.profile is not None
    selfies = best_selfies(assessments, verdict.usable, verdict.similarities)
    return training_set(selfies, verdict.profile.attributes, RECIPE)


def models_of(backend: DiffusersBackend) -> TrainingModels:
    m = backend.models
    return TrainingModels(m.pipe, m.device, m.dtype, m.identity_dim, tuple(m.adapters))


def unet_output(backend: DiffusersBackend) -> torch.Tensor:
    pipe = backend.models.pipe
    generator = torch.Generator().manual_seed(7)
    latents = torch.randn(1, 4, 32, 32, generator=generator)
    hidden = torch.randn(1, 8, pipe.unet.config.cross_attention_dim, generator=generator)
    added: dict[str, Any] = {
        "text_embeds": torch.randn(1, 32, generator=generator),
        "time_ids": torch.ones(1, 6),
    }
    added["image_embeds"] = [torch.zeros(1, 1, 1, backend.models.identity_dim or 0)]
    pipe.set_ip_adapter_scale(0.0)
    with torch.no_grad():
        out: torch.Tensor = pipe.unet(
            latents, 500, encoder_hidden_states=hidden, added_cond_kwargs=added
        ).sample
    return out.clone()


@pytest.fixture(scope="module")
def trained(backend: DiffusersBackend, person_a_set: TrainingSet) -> tuple[TrainingResult, list[Checkpoint]]:
    checkpoints: list[Checkpoint] = []
    result = train_lora(models_of(backend), person_a_set, RECIPE, on_checkpoint=checkpoints.append)
    return result, checkpoints


def test_the_training_set_is_aligned_flipped_and_captioned_with_the_token(person_a_set: TrainingSet) -> None:
    examples = person_a_set.examples
    assert len(examples) >= 6
    assert len(examples) % 2 == 0
    assert sum(e.flipped for e in examples) == len(examples) // 2
    assert {e.image.size for e in examples} == {(64, 64)}
    assert all(e.caption.startswith("a photo of ohwx ") for e in examples)
    assert person_a_set.class_prompt.startswith("a photo of a ")
    assert "ohwx" not in person_a_set.class_prompt


def test_training_lowers_the_loss_and_writes_a_lora_file_that_changes_the_unet(
    backend: DiffusersBackend, trained: tuple[TrainingResult, list[Checkpoint]], tmp_path: Path
) -> None:
    result, checkpoints = trained
    assert result.steps == 12
    assert len(result.losses) == 12
    assert result.probe_loss_after < result.probe_loss_before * 0.98, (
        result.probe_loss_before,
        result.probe_loss_after,
    )
    assert [c.step for c in checkpoints] == [4, 8]

    path = tmp_path / lora.WEIGHT_NAME
    path.write_bytes(result.weights)
    keys = set(load_safetensors(path.read_bytes()))
    assert keys
    assert all(k.startswith("unet.") for k in keys)
    assert any("to_q" in k for k in keys)

    before = unet_output(backend)
    assert lora.TRAIN_ADAPTER not in lora.active_adapters(backend.models.pipe.unet), (
        "training left nothing behind"
    )
    person = lora.PersonLora(path.read_bytes(), "ohwx", "person", "tiny", 4, 12)
    with lora.attached(backend.models.pipe, person, backend.models.adapters):
        with_lora = unet_output(backend)
    after = unet_output(backend)
    assert not torch.allclose(before, with_lora, atol=1e-5)
    assert torch.equal(before, after), "the person's LoRA is removed after use"


def test_training_resumed_from_a_checkpoint_continues_the_step_counter_and_matches(
    backend: DiffusersBackend, person_a_set: TrainingSet, trained: tuple[TrainingResult, list[Checkpoint]]
) -> None:
    straight, checkpoints = trained
    seen: list[int] = []
    resumed = train_lora(
        models_of(backend),
        person_a_set,
        RECIPE,
        resume=checkpoints[0].data,
        progress=lambda e: seen.append(e.step) if e.stage == "train" and not e.resumed else None,
    )
    assert resumed.resumed_from == 4
    assert seen == list(range(5, 13))
    assert resumed.losses[:4] == straight.losses[:4]
    a, b = load_safetensors(straight.weights), load_safetensors(resumed.weights)
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a), "resuming gives the same LoRA"


def test_generation_with_the_lora_runs_through_the_pipeline(
    engine_resources: EngineResources,
    backend: DiffusersBackend,
    trained: tuple[TrainingResult, list[Checkpoint]],
    person_a_selfies: list[tuple[str, bytes]],
) -> None:
    person = lora.PersonLora(trained[0].weights, "ohwx", "person", "tiny", 4, 12)
    resources = dataclasses.replace(
        engine_resources,
        backends={**engine_resources.backends, "diffusers": PersonalisedBackend(backend, person)},
    )
    request = PipelineRequest(
        selfies=person_a_selfies, style="corporate", count=2, keep=1, seed=3, backend="diffusers",
        width=64, height=64, steps=2,
    )  # fmt: skip
    detector = backend.face_detector
    backend.face_detector = lambda _image: []  # random weights paint no face to find
    try:
        album = run_pipeline(request, resources)
    finally:
        backend.face_detector = detector
    assert album.stats["candidates"] == 2
    assert len(album.scored) == 2
    for item in album.scored:
        params = item.candidate.params
        assert params["studio"] is True
        assert params["prompt"].startswith("photo of ohwx person, ")
        assert params["identity_scale"] == 0.0
        assert "openpose" in params["controls"], "the style's ControlNet still applies"
        assert params["face_detail"] == "no_face", "the face detail pass still runs (and found no face)"
    assert lora.PERSON_ADAPTER not in lora.active_adapters(backend.models.pipe.unet)


def test_the_recipe_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="rank must be"):
        TrainingRecipe(rank=0)
    with pytest.raises(ValueError, match="resolution must be"):
        TrainingRecipe(resolution=100)
