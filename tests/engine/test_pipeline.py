"""The whole pipeline on person_a with the preview backend: an album of 2048 px headshots of
the same person, framed as headshots, with progress, cancellation and clear refusals."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import GenerationCancelledError, SetNotReadyError, StyleError
from engine.faces import DlibFaceAnalyzer
from engine.pipeline import STAGES, PipelineRequest, run_pipeline
from engine.progress import CancelToken, ProgressEvent
from engine.quality import counted_faces
from engine.types import Album, as_array


@pytest.fixture(scope="module")
def preview_run(
    engine_resources: Any, person_a_selfies: list[tuple[str, bytes]]
) -> tuple[Album, list[ProgressEvent]]:
    events: list[ProgressEvent] = []
    request = PipelineRequest(selfies=person_a_selfies, style="corporate", count=6, keep=4, seed=3)
    return run_pipeline(request, engine_resources, progress=events.append), events


def test_preview_album_is_2048_headshots_of_person_a(
    preview_run: tuple[Album, list[ProgressEvent]], dlib_analyzer: DlibFaceAnalyzer
) -> None:
    album, _ = preview_run
    assert album.style == "corporate"
    assert 2 <= len(album) <= 4
    profile_threshold = album.stats["identity_threshold"]
    for item in album.items:
        image = as_array(item.candidate.image)
        height, width = image.shape[:2]
        assert max(width, height) == 2048
        assert item.candidate.params["backend"] == "preview"
        faces = counted_faces(dlib_analyzer.detect(image))
        assert len(faces) == 1
        face = faces[0]
        assert item.details["similarity"] >= profile_threshold
        centre_x = float(face.landmarks[:, 0].mean()) / width
        eye_line = float(face.landmarks[:2, 1].mean()) / height
        assert abs(centre_x - 0.5) < 0.08
        assert 0.3 < eye_line < 0.5
        assert face.bbox[1] / height > 0.12, "head room above the face"
        assert 0.15 < face.height / height < 0.5
    scores = [item.score for item in album.items]
    assert scores == sorted(scores, reverse=True)
    assert len({item.cluster for item in album.items}) == len(album)
    assert album.contact_sheet is not None
    assert len(album.scored) == 6


def test_preview_identity_still_matches_after_the_whole_pipeline(
    preview_run: tuple[Album, list[ProgressEvent]], dlib_analyzer: DlibFaceAnalyzer, engine_resources: Any,
    person_a_selfies: list[tuple[str, bytes]],
) -> None:  # fmt: skip
    album, _ = preview_run
    assessed = [engine_resources.assessor.assess(data, name) for name, data in person_a_selfies]
    profile = engine_resources.assessor.assess_set([a.signature for a in assessed]).profile
    for item in album.items:
        image = as_array(item.candidate.image)
        face = dlib_analyzer.detect(image)[0]
        assert profile.similarity(dlib_analyzer.embed(image, face)) > dlib_analyzer.match_threshold


def test_progress_reports_every_stage_in_order(preview_run: tuple[Album, list[ProgressEvent]]) -> None:
    _, events = preview_run
    seen = list(dict.fromkeys(event.stage for event in events))
    assert seen == list(STAGES)
    generate = [e for e in events if e.stage == "generate"]
    assert generate[-1].step == generate[-1].total == 6
    assert sum(preview_run[0].stats["seconds"].values()) > 0


def test_cancel_stops_between_steps(engine_resources: Any, person_a_selfies: list[tuple[str, bytes]]) -> None:
    cancel = CancelToken()

    def cancel_when_generating(event: ProgressEvent) -> None:
        if event.stage == "plan":
            cancel.cancel()

    request = PipelineRequest(selfies=person_a_selfies, style="corporate", count=4, keep=2)
    with pytest.raises(GenerationCancelledError):
        run_pipeline(request, engine_resources, progress=cancel_when_generating, cancel=cancel)


def test_a_set_that_is_not_ready_stops_with_the_assessors_message(
    engine_resources: Any, person_a_selfies: list[tuple[str, bytes]]
) -> None:
    request = PipelineRequest(selfies=person_a_selfies[:3], style="corporate", count=4, keep=2)
    with pytest.raises(SetNotReadyError, match="send at least"):
        run_pipeline(request, engine_resources)


def test_bad_arguments_are_refused_before_any_work(
    engine_resources: Any, person_a_selfies: list[tuple[str, bytes]]
) -> None:
    with pytest.raises(StyleError, match="no style called 'wedding'"):
        run_pipeline(
            PipelineRequest(selfies=person_a_selfies, style="wedding", count=4, keep=2), engine_resources
        )
    with pytest.raises(ValueError, match="keep must be from 1 to count"):
        run_pipeline(
            PipelineRequest(selfies=person_a_selfies, style="corporate", count=4, keep=5), engine_resources
        )
    with pytest.raises(ValueError, match="backend must be one of the loaded backends"):
        run_pipeline(
            PipelineRequest(
                selfies=person_a_selfies, style="corporate", count=4, keep=2, backend="diffusers"
            ),
            engine_resources,
        )


def test_decoded_photos_work_like_uploads(
    engine_resources: Any, person_a_selfies: list[tuple[str, bytes]]
) -> None:
    from engine.decode import decode_photo

    photos = [
        decode_photo(data, name, max_bytes=25_000_000, max_pixels=50_000_000)
        for name, data in person_a_selfies
    ]
    album = run_pipeline(
        PipelineRequest(selfies=photos, style="legal", count=2, keep=1, seed=9), engine_resources
    )
    assert len(album) == 1
    assert album.items[0].candidate.params["style"] == "legal"
    assert album.stats["selfies_used"][0] in {name for name, _ in person_a_selfies}


def test_what_the_person_said_reaches_every_prompt(
    engine_resources: Any, person_a_selfies: list[tuple[str, bytes]]
) -> None:
    import dataclasses

    from engine.attributes import stated_attribute

    preview = engine_resources.backend("preview")
    seen: list[Any] = []

    class Recording:
        name = "preview"

        def generate(self, request: Any, **kwargs: Any) -> Any:
            seen.extend(request.candidates)
            return preview.generate(request, **kwargs)

    resources = dataclasses.replace(engine_resources, backends={"preview": Recording()})
    stated = (stated_attribute("glasses", "yes"), stated_attribute("hair", "short grey"))
    request = PipelineRequest(
        selfies=person_a_selfies, style="corporate", count=2, keep=1, seed=3, width=512, height=512,
        stated=stated,
    )  # fmt: skip
    album = run_pipeline(request, resources)
    assert album.stats["stated"] == {"glasses": "yes", "hair": "short grey"}
    assert len(seen) == 2
    for spec in seen:
        assert "with glasses and short grey hair" in spec.prompt
        assert "no glasses, missing glasses" in spec.negative_prompt
