"""The whole order, stages 1-7, as one readable sequence (like a diffusers `__call__`).

`run_pipeline` is what the worker (issue 7), the chat bots and `headshots generate` call:

1. assess the selfies (quality, one face each) and stop with the assessor's message if the
   set is not ready;
2. build the identity profile and the aligned crops of the best selfies;
3. pick the style;
4. plan the batch (prompts and variations);
5. generate the candidates with the chosen backend ("preview" or "diffusers");
6. rank them at generation size (identity graded by the grading face model, failures and
   duplicates dropped, a varied album chosen by MMR over the shot descriptor);
7. post-process and upscale only the images that will be delivered, and make the album.

Ranking comes before polishing: upscaling 40 candidates to throw 28 away cost most of an
order's time on a CPU worker (docs/benchmarks.md, "order time").

Progress leaves through `progress` (a `ProgressEvent` per step, `stage` one of `STAGES`);
`cancel` is checked between steps and stops the run with `GenerationCancelledError`.
Models are loaded once, in `load_engine_resources`, never here.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.album import contact_sheet
from engine.attributes import with_stated
from engine.crops import crop_face
from engine.errors import ModelUnavailableError, SetNotReadyError
from engine.faces import load_face_analyzer
from engine.grading import build_grader, identity_summary
from engine.intake import Assessment, Assessor
from engine.more_like import anchor_descriptor, more_like_summary
from engine.postprocess import PostProcessor, load_upscaler
from engine.preview import PreviewBackend
from engine.progress import CancelToken, ProgressCallback, ProgressEvent, ignore_progress
from engine.prompts import build_request
from engine.ranking import rank_candidates
from engine.styles import BUILTIN_DIR, StyleLibrary, StyleTemplate
from engine.types import (
    Album,
    AssessedPhoto,
    Attribute,
    FaceAnalyzer,
    FaceCrop,
    GenerationBackend,
    Photo,
    SetAssessment,
)
from engine.variations import MAX_CANDIDATES, plan_variations

if TYPE_CHECKING:
    from engine.generation.flux2_options import Flux2Options
    from engine.generation.options import GenerationOptions, ModelIds

log = logging.getLogger(__name__)

STAGES = ("assess", "identity", "style", "plan", "generate", "rank", "postprocess", "album")
BACKENDS = ("preview", "diffusers", "flux2")
REFERENCE_SIZE = 1024
GENERATE_CHUNK = 4
"""Candidates per backend call: progress and cancellation between chunks, memory bounded."""


@dataclass(frozen=True)
class EngineResources:
    """Everything loaded once per process (face models, styles, backends) and reused."""

    analyzer: FaceAnalyzer
    styles: StyleLibrary
    backends: Mapping[str, GenerationBackend]
    postprocessor: PostProcessor
    assessor: Assessor
    grader: FaceAnalyzer | None = None
    """The face model that grades identity (None: the conditioning `analyzer` itself)."""

    def with_styles(self, templates: Sequence[StyleTemplate]) -> EngineResources:
        """These resources offering `templates` too (a team's custom template, say): the same
        loaded models, a style library that knows the extra looks."""
        styles = self.styles.with_custom(templates)
        backends = {
            name: PreviewBackend(styles, self.postprocessor)
            if isinstance(backend, PreviewBackend)
            else backend
            for name, backend in self.backends.items()
        }
        return dataclasses.replace(self, styles=styles, backends=backends)

    def backend(self, name: str) -> GenerationBackend:
        if name not in self.backends:
            loaded = ", ".join(sorted(self.backends)) or "none"
            raise ValueError(f"backend must be one of the loaded backends ({loaded}), got {name!r}")
        return self.backends[name]


def load_engine_resources(
    *,
    face_backend: str = "dlib",
    grading_face_backend: str = "auto",
    insightface_pack: str = "buffalo_l",
    insightface_root: Path | None = None,
    backends: Sequence[str] = ("preview",),
    diffusers_models: ModelIds | None = None,
    diffusers_options: GenerationOptions | None = None,
    flux2_options: Flux2Options | None = None,
    upscaler_path: Path | None = None,
    device: str = "cpu",
    styles_dir: Path = BUILTIN_DIR,
    max_upload_bytes: int = 25 * 1024 * 1024,
    max_image_pixels: int = 50_000_000,
    min_selfies: int = 8,
) -> EngineResources:
    """Load the face backend, styles, post-processor and the named generation backends.

    Slow (seconds for dlib, minutes for SDXL): call once at start-up. The diffusers backend
    needs `diffusers_models`; a missing model raises `ModelUnavailableError` naming it.
    `grading_face_backend` "auto" grades with the other face model when it is installed
    (dlib always is); `device` "auto" puts the upscaler and insightface on a CUDA GPU when
    the machine has one.
    """
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"backends must be among {', '.join(BACKENDS)}, got {sorted(unknown)}")
    analyzer = load_face_analyzer(
        face_backend, insightface_pack=insightface_pack, insightface_root=insightface_root, device=device
    )
    grader = _load_grader(grading_face_backend, analyzer, insightface_pack, insightface_root, device)
    styles = StyleLibrary.builtin(styles_dir)
    upscale_device = torch_device(device) if upscaler_path is not None else "cpu"
    postprocessor = PostProcessor(
        upscaler=load_upscaler(upscaler_path, device=upscale_device), detect=analyzer.detect
    )
    loaded: dict[str, GenerationBackend] = {}
    if "preview" in backends:
        loaded["preview"] = PreviewBackend(styles, postprocessor)
    if "diffusers" in backends:
        if diffusers_models is None:
            raise ValueError("the diffusers backend needs diffusers_models (model ids or local folders)")
        from engine.generation.diffusers_backend import DiffusersBackend
        from engine.generation.options import UNION_MODES, GenerationOptions

        options = diffusers_options or GenerationOptions()
        if options.controlnets is None:  # only what the styles use (each net is ~2.5 GB)
            used = styles.control_kinds()
            served = UNION_MODES if options.control_union else diffusers_models.controlnets
            configured = tuple(kind for kind in used if kind in served)
            if configured != used:
                log.warning("styles use ControlNets %s that have no model configured; they run without them",
                            sorted(set(used) - set(configured)))  # fmt: skip
            options = dataclasses.replace(options, controlnets=configured)
        loaded["diffusers"] = DiffusersBackend.load(
            diffusers_models, options, profile_dim=analyzer.embedding_dim
        )
    if "flux2" in backends:
        from engine.generation.flux2_backend import Flux2Backend

        loaded["flux2"] = Flux2Backend.load(flux2_options)
    assessor = Assessor(
        analyzer, max_bytes=max_upload_bytes, max_pixels=max_image_pixels, min_photos=min_selfies
    )
    return EngineResources(analyzer, styles, loaded, postprocessor, assessor, grader)


def torch_device(device: str) -> str:
    """`auto` -> "cuda" when torch sees a GPU, else "cpu"; anything else as given."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _load_grader(
    name: str, analyzer: FaceAnalyzer, pack: str, root: Path | None, device: str
) -> FaceAnalyzer | None:
    if name in ("auto", analyzer.name):
        if name == analyzer.name:
            return None
        name = "dlib" if analyzer.name == "insightface" else "insightface"
        try:
            return load_face_analyzer(name, insightface_pack=pack, insightface_root=root, device=device)
        except ModelUnavailableError:
            log.info("identity graded by %s itself: the %s face model is not installed", analyzer.name, name)
            return None
    return load_face_analyzer(name, insightface_pack=pack, insightface_root=root, device=device)


Selfie = tuple[str, bytes] | Photo


@dataclass(frozen=True)
class PipelineRequest:
    """One order: the selfies (uploads as `(name, bytes)` or decoded `Photo`s), the style, how
    many candidates to make and keep, the seed, and the backend name."""

    selfies: Sequence[Selfie]
    style: str
    count: int = 40
    keep: int = 12
    seed: int = 0
    backend: str = "preview"
    width: int = 1024
    height: int = 1024
    steps: int | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    anchor: Mapping[str, Any] | None = None
    """Params of a delivered candidate to make "more like" (see `plan_variations`)."""
    stated: tuple[Attribute, ...] = ()
    """What the person said about themselves ("glasses": "no"): overrides the measured
    attributes, so someone with glasses keeps them in the prompt unless they say otherwise."""


def check_inputs(request: PipelineRequest, resources: EngineResources) -> None:
    """Fail before any work, naming the argument and what is allowed (diffusers' `check_inputs`)."""
    if not request.selfies:
        raise SetNotReadyError("Send your selfies first: no photos were given.")
    if not 1 <= request.count <= MAX_CANDIDATES:
        raise ValueError(f"count must be from 1 to {MAX_CANDIDATES}, got {request.count}")
    if not 1 <= request.keep <= request.count:
        raise ValueError(f"keep must be from 1 to count ({request.count}), got {request.keep}")
    if request.width % 8 or request.height % 8 or min(request.width, request.height) < 64:
        raise ValueError(
            f"width and height must be multiples of 8 and at least 64, got {request.width}x{request.height}"
        )
    resources.backend(request.backend)
    resources.styles.get(request.style)


def _assess(selfie: Selfie, assessor: Assessor) -> Assessment:
    if isinstance(selfie, Photo):
        # Already decoded (the chat layer keeps them): the same verdict, hashes and attributes.
        return assessor.assess_decoded(selfie)
    name, data = selfie
    return assessor.assess(data, name)


def best_selfies(
    assessments: Sequence[Assessment], usable: Sequence[str], similarities: Mapping[str, float | None]
) -> list[AssessedPhoto]:
    """The usable selfies with a face, best first: closest to the profile, then sharpest."""
    chosen = [a.assessed for a in assessments if a.assessed is not None and a.report.name in usable]
    return sorted(
        (a for a in chosen if a.face is not None),
        key=lambda a: (-(similarities.get(a.photo.name) or 0.0), -(a.report.sharpness or 0.0)),
    )


def not_ready_message(verdict: SetAssessment, assessments: Sequence[Assessment]) -> str:
    """The set verdict, then one line per problem photo (its own and set-level issues)."""
    reports = [verdict.applied_to(a.report) for a in assessments]
    lines = [f"{report.name}: {issue.message}" for report in reports for issue in report.issues]
    return "\n".join([verdict.readiness.message, *lines])


def run_pipeline(
    request: PipelineRequest,
    resources: EngineResources,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> Album:
    """Stages 1-7 for one order; returns the ranked `Album` (see the module docstring)."""
    cancel = cancel if cancel is not None else CancelToken()
    check_inputs(request, resources)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def done(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now
        cancel.raise_if_cancelled()

    # 1. Assess every selfie; stop with the assessor's own words if the set is not ready.
    assessments = []
    for index, selfie in enumerate(request.selfies):
        cancel.raise_if_cancelled()
        assessments.append(_assess(selfie, resources.assessor))
        progress(ProgressEvent("assess", index + 1, len(request.selfies)))
    verdict = resources.assessor.assess_set([a.signature for a in assessments])
    if not verdict.readiness.ready or verdict.profile is None:
        raise SetNotReadyError(not_ready_message(verdict, assessments))
    done("assess")

    # 2. Identity profile, attributes and aligned crops of the best selfies.
    selfies = best_selfies(assessments, verdict.usable, verdict.similarities)
    references: list[FaceCrop] = [crop_face(s.photo, s.face, REFERENCE_SIZE) for s in selfies if s.face]
    profile = verdict.profile  # its attributes are the set's consensus (engine.attributes)
    progress(ProgressEvent("identity", 1, 1))
    done("identity")

    # 3. The style.
    template = resources.styles.get(request.style)
    progress(ProgressEvent("style", 1, 1))
    done("style")

    # 4. Prompts and variations for the whole batch.
    specs = plan_variations(
        template,
        with_stated(profile.attributes, request.stated),
        references,
        count=request.count,
        seed=request.seed,
        anchor=request.anchor,
    )
    progress(ProgressEvent("plan", 1, 1))
    done("plan")

    # 5. Generate, a chunk at a time.
    backend = resources.backend(request.backend)
    candidates = []
    for start in range(0, len(specs), GENERATE_CHUNK):
        chunk = specs[start : start + GENERATE_CHUNK]
        generation = build_request(
            template,
            chunk,
            profile,
            references,
            width=request.width,
            height=request.height,
            steps=request.steps,
        )
        generation = dataclasses.replace(generation, reference_selfies=tuple(selfies))
        candidates += backend.generate(generation, progress=ignore_progress, cancel=cancel)
        progress(ProgressEvent("generate", len(candidates), len(specs)))
    done("generate")

    # 6. Rank at generation size: grade identity, drop failures and duplicates, choose by MMR.
    grader = build_grader(resources.grader or resources.analyzer, profile, selfies)
    ranking = rank_candidates(
        candidates,
        grader.profile,
        grader.analyzer,
        keep=request.keep,
        template=template,
        selfie_looks=grader.selfie_looks,
        like=anchor_descriptor(request.anchor),
    )
    progress(ProgressEvent("rank", 1, 1))
    done("rank")

    # 7. Post-process and upscale only what is delivered; the album.
    kept = []
    for index, item in enumerate(ranking.kept):
        cancel.raise_if_cancelled()
        finished = resources.postprocessor.finish(item.candidate, template.postprocess)
        kept.append(dataclasses.replace(item, candidate=finished))
        progress(ProgressEvent("postprocess", index + 1, len(ranking.kept)))
    done("postprocess")
    sheet = contact_sheet(kept) if kept else None
    progress(ProgressEvent("album", 1, 1))
    rejected: dict[str, int] = {}
    for item in ranking.rejected:
        rejected[str(item.rejected)] = rejected.get(str(item.rejected), 0) + 1
    done("album")
    stats = {
        **request.stats,
        "backend": backend.name,
        "seed": request.seed,
        "candidates": len(candidates),
        "rejected": rejected,
        "duplicates": sum(1 for s in ranking.scored if s.duplicate_of is not None),
        "clusters": len({s.cluster for s in ranking.scored if s.rejected is None}),
        "conditioning_backend": profile.backend,
        "identity_backend": grader.profile.backend,
        "identity_threshold": grader.profile.threshold,
        "identity": identity_summary(grader, kept),
        "selfies_used": [s.photo.name for s in selfies],
        "stated": {a.name: a.value for a in request.stated},
        **more_like_summary(request.anchor, kept),
        "seconds": timings,
    }
    log.info("order done: %s, %d of %d kept, %s", template.name, len(kept), len(candidates), timings)
    return Album(
        style=template.name,
        items=tuple(kept),
        contact_sheet=sheet,
        dropped=len(ranking.rejected),
        stats=stats,
        scored=ranking.scored,
    )
