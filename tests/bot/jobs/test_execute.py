"""The engine call: after the GPU runs out of memory the retry uses smaller UNet batches."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from bot.jobs.execute import _with_batch_scale, selfie_name
from conversations.personal.selfies import photo_name
from engine.generation.diffusers_backend import DiffusersBackend
from engine.generation.loading import LoadedModels
from engine.generation.options import GenerationOptions, ModelIds
from engine.pipeline import EngineResources
from tests.engine.tiny_sdxl import make_pipeline, make_tokenizer


@pytest.fixture(scope="module")
def tiny_backend(tmp_path_factory: pytest.TempPathFactory) -> DiffusersBackend:
    """A real `DiffusersBackend` around a tiny random SDXL pipeline built in memory."""
    pipe = make_pipeline(make_tokenizer(tmp_path_factory.mktemp("tokenizer")))
    options = GenerationOptions(device="cpu", dtype="float32", identity="none", controlnets=(), batch_size=4)
    models = LoadedModels(
        pipe=pipe,
        controlnets={},
        device=torch.device("cpu"),
        dtype=torch.float32,
        ids=ModelIds(base="tiny"),
        options=options,
    )
    return DiffusersBackend(models)


def resources_with(backend: DiffusersBackend) -> EngineResources:
    unused: Any = None  # the batch view only touches the backends
    return EngineResources(
        analyzer=unused,
        styles=unused,
        backends={"diffusers": backend},
        postprocessor=unused,
        assessor=unused,
    )


def test_the_retry_after_out_of_memory_gets_half_the_batch_and_the_worker_keeps_its_own(
    tiny_backend: DiffusersBackend,
) -> None:
    resources = resources_with(tiny_backend)
    halved = _with_batch_scale(resources, "diffusers", 0.5)
    smaller = halved.backends["diffusers"]
    assert isinstance(smaller, DiffusersBackend)
    assert smaller.options.batch_size == 2
    assert smaller.models.pipe is tiny_backend.models.pipe  # same weights, no reload
    assert tiny_backend.options.batch_size == 4
    assert _with_batch_scale(resources, "diffusers", 0.125).backends["diffusers"].options.batch_size == 1  # type: ignore[attr-defined]
    assert _with_batch_scale(resources, "diffusers", 1.0) is resources


def test_the_worker_names_selfies_as_the_chat_did() -> None:
    """What a worker says about one photo ("photo 3 looks like a different person") must name
    it as the verdicts in the chat did, not by its storage file name."""
    assert selfie_name("users/7/sessions/2/03.jpg") == photo_name(3) == "photo 3"
    assert selfie_name("users/7/sessions/2/12.jpg") == "photo 12"
    assert selfie_name("cli/selfie_a.jpg") == "selfie_a.jpg"
