"""The diffusers backend through the same pipeline, with tiny random SDXL components.

The identity adapter is a tiny IP-Adapter-FaceID checkpoint sized for dlib's 128-value
embeddings, so the person_a profile the pipeline builds really conditions the UNet. Random
weights draw noise, not people: the ranker must drop every candidate and deliver nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.generation.diffusers_backend import DiffusersBackend
from engine.pipeline import EngineResources, PipelineRequest, run_pipeline
from engine.progress import ProgressEvent
from tests.engine.tiny_sdxl import TinyModels, load_tiny_backend


@pytest.fixture(scope="module")
def diffusers_backend(tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> DiffusersBackend:
    backend: DiffusersBackend = load_tiny_backend(tiny_models, tmp_path_factory.mktemp("faceid-128"))
    return backend


def test_diffusers_backend_runs_through_the_pipeline_and_noise_is_never_delivered(
    engine_resources: EngineResources,
    diffusers_backend: DiffusersBackend,
    person_a_selfies: list[tuple[str, bytes]],
) -> None:
    resources: Any = EngineResources(
        analyzer=engine_resources.analyzer,
        styles=engine_resources.styles,
        backends={**engine_resources.backends, "diffusers": diffusers_backend},
        postprocessor=engine_resources.postprocessor,
        assessor=engine_resources.assessor,
    )
    events: list[ProgressEvent] = []
    request = PipelineRequest(
        selfies=person_a_selfies,
        style="corporate",
        count=3,
        keep=2,
        seed=4,
        backend="diffusers",
        width=64,
        height=64,
        steps=2,
    )
    album = run_pipeline(request, resources, progress=events.append)
    assert album.stats["backend"] == "diffusers"
    assert album.stats["candidates"] == 3
    assert len(album.scored) == 3
    for item in album.scored:
        assert item.candidate.params["backend"] == "diffusers"
        assert item.candidate.params["identity"] == "faceid"
        # Ranked at generation size; nothing that is thrown away is upscaled.
        assert "postprocess" not in item.candidate.params
        assert max(item.candidate.image.size) == 64
        assert item.rejected in {"no_face", "blank", "multiple_faces", "identity_too_low"}
    assert len(album) == 0
    assert album.dropped == 3
    assert album.contact_sheet is None
    assert [e.step for e in events if e.stage == "generate"][-1] == 3
    assert not [e for e in events if e.stage == "postprocess"]
