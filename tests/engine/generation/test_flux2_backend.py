"""The FLUX.2 [klein] backend on CPU with tiny random-weight components of the real classes.

The tiny pipeline is saved once and loaded through the backend's real loading code; the
requests carry real assessed selfies of person_a, so reference choice and cropping run as
in production. Covered: references reach the transformer, per-step progress, cancellation,
seeds, batching, OOM as retryable, and a missing model named file by file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from engine.errors import GenerationCancelledError, ModelUnavailableError, TransientGenerationError
from engine.generation.flux2_backend import Flux2Backend
from engine.intake import Assessment
from engine.progress import CancelToken, ProgressEvent, ignore_progress
from engine.prompts import build_request, plan_candidates
from engine.styles import StyleLibrary
from engine.types import AssessedPhoto, Candidate, GenerationRequest, IdentityProfile
from tests.engine.tiny_flux2 import save_tiny_flux2, tiny_options

SIZE = 32
STEPS = 2


@pytest.fixture(scope="module")
def tiny_flux2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_flux2(tmp_path_factory.mktemp("flux2"))


@pytest.fixture(scope="module")
def backend(tiny_flux2: Path) -> Flux2Backend:
    return Flux2Backend.load(tiny_options(tiny_flux2, references=2))


@pytest.fixture(scope="module")
def selfies(assessed_faces: dict[str, Assessment]) -> tuple[AssessedPhoto, ...]:
    chosen = [assessed_faces[f"selfie_0{i}.jpg"].assessed for i in (1, 2, 3, 5, 6, 8)]
    return tuple(a for a in chosen if a is not None and a.face is not None)


def make_request(selfies: tuple[AssessedPhoto, ...], count: int = 2, seed: int = 7) -> GenerationRequest:
    template = StyleLibrary.builtin().get("corporate")
    specs = plan_candidates(template, [], count, seed=seed)
    profile = IdentityProfile(np.ones(128, np.float32) / np.sqrt(128), "dlib", 0.92, ("a",), (1.0,))
    request = build_request(template, specs, profile, [], width=SIZE, height=SIZE, steps=STEPS)
    return replace(request, reference_selfies=selfies)


def run(backend: Flux2Backend, request: GenerationRequest) -> list[Candidate]:
    return backend.generate(request, progress=ignore_progress, cancel=CancelToken())


def pixels(candidate: Candidate) -> np.ndarray:
    return np.asarray(candidate.image, dtype=np.int16)


def test_references_reach_the_transformer(backend: Flux2Backend, selfies: tuple[AssessedPhoto, ...]) -> None:
    seen: list[dict[str, Any]] = []

    def capture(_module: Any, _args: Any, kwargs: dict[str, Any]) -> None:
        seen.append({"tokens": kwargs["hidden_states"].shape[1], "ids": kwargs["img_ids"]})

    handle = backend.pipe.transformer.register_forward_pre_hook(capture, with_kwargs=True)
    try:
        [candidate] = run(backend, make_request(selfies, count=1))
    finally:
        handle.remove()
    output_tokens = (SIZE // 2) ** 2  # tiny VAE: no downsampling; latents packed 2x2
    reference_tokens = (64 // 2) ** 2  # two 64 px reference crops
    assert len(seen) == STEPS
    assert seen[0]["tokens"] == output_tokens + 2 * reference_tokens
    # Each reference sits at its own time offset (10, 20) beside the image being made (0).
    assert sorted(set(seen[0]["ids"][0, :, 0].tolist())) == [0, 10, 20]
    assert len(candidate.params["references"]) == 2
    assert candidate.params["identity"] == "references"


def test_the_references_change_the_picture(backend: Flux2Backend, selfies: tuple[AssessedPhoto, ...]) -> None:
    first = run(backend, make_request(selfies[:2], count=1))[0]
    other = run(backend, make_request(selfies[2:4], count=1))[0]
    assert first.params["references"] != other.params["references"]
    assert np.abs(pixels(first) - pixels(other)).max() > 0


def test_progress_each_step_and_seeds_reproduce(
    backend: Flux2Backend, selfies: tuple[AssessedPhoto, ...]
) -> None:
    request = make_request(selfies, count=2)
    events: list[ProgressEvent] = []
    first = backend.generate(request, progress=events.append, cancel=CancelToken())
    assert [(e.stage, e.step, e.total) for e in events] == [("generate", i, 2 * STEPS) for i in range(1, 5)]
    again = run(backend, request)
    for a, b, spec in zip(first, again, request.candidates, strict=True):
        assert a.seed == spec.seed
        assert np.array_equal(pixels(a), pixels(b))
    assert np.abs(pixels(first[0]) - pixels(first[1])).max() > 0  # two seeds, two pictures
    assert "reference photos" in first[0].params["prompt"]
    assert first[0].params["style_prompt"] == request.candidates[0].prompt


def test_a_batch_of_two_matches_two_single_calls(
    tiny_flux2: Path, selfies: tuple[AssessedPhoto, ...]
) -> None:
    batched = Flux2Backend.load(tiny_options(tiny_flux2, references=2, batch_size=2))
    single = Flux2Backend.load(tiny_options(tiny_flux2, references=2))
    request = make_request(selfies, count=2)
    events: list[ProgressEvent] = []
    together = batched.generate(request, progress=events.append, cancel=CancelToken())
    assert [e.total for e in events] == [STEPS] * STEPS
    apart = run(single, request)
    for a, b in zip(together, apart, strict=True):
        assert np.abs(pixels(a) - pixels(b)).max() <= 2


def test_cancel_stops_between_steps(backend: Flux2Backend, selfies: tuple[AssessedPhoto, ...]) -> None:
    cancel = CancelToken()
    events: list[ProgressEvent] = []

    def cancel_after_first(event: ProgressEvent) -> None:
        events.append(event)
        cancel.cancel()

    with pytest.raises(GenerationCancelledError):
        backend.generate(make_request(selfies, count=2), progress=cancel_after_first, cancel=cancel)
    assert len(events) == 1


def test_out_of_memory_is_retryable(
    backend: Flux2Backend, selfies: tuple[AssessedPhoto, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_memory(*_args: Any, **_kwargs: Any) -> Any:
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(backend, "pipe", no_memory)
    with pytest.raises(TransientGenerationError, match="ran out of memory"):
        run(backend, make_request(selfies, count=1))


def test_bad_sizes_are_refused(backend: Flux2Backend, selfies: tuple[AssessedPhoto, ...]) -> None:
    with pytest.raises(ValueError, match="multiple of 16"):
        run(backend, replace(make_request(selfies, count=1), width=40))


def test_a_missing_model_names_each_file_and_its_fetch_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError) as raised:
        Flux2Backend.load(tiny_options("black-forest-labs/FLUX.2-klein-4B"))
    message = raised.value.user_message
    assert (
        "missing: model_index.json (fetch: hf download black-forest-labs/FLUX.2-klein-4B model_index.json)"
        in message
    )
    assert "hf download black-forest-labs/FLUX.2-klein-4B --include 'transformer/*'" in message
    with pytest.raises(ModelUnavailableError, match=r"copy model_index\.json into"):
        Flux2Backend.load(tiny_options(tmp_path / "nowhere"))
