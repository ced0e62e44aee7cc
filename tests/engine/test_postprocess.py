"""Post-processing steps on real photos: each does its job and none changes who it is."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from engine.errors import ModelUnavailableError
from engine.faces import DlibFaceAnalyzer
from engine.postprocess import PostProcessor
from engine.postprocess.background import GrabCutSegmenter, replace_background
from engine.postprocess.colour import apply_grade, correct_exposure, white_balance
from engine.postprocess.detail import DETAIL_LIMIT, enhance_detail
from engine.postprocess.retouch import retouch
from engine.postprocess.upscale import LanczosUpscaler, load_upscaler
from engine.styles import PostProcessSettings
from engine.types import Candidate, Face, ImageArray, as_array


def _load(path: Path, side: int = 768) -> ImageArray:
    image = Image.open(path).convert("RGB")
    image.thumbnail((side, side))
    return as_array(image)


@pytest.fixture(scope="module")
def photo(person_a_paths: list[Path], dlib_analyzer: DlibFaceAnalyzer) -> tuple[ImageArray, Face]:
    image = _load(person_a_paths[1])
    return image, dlib_analyzer.detect(image)[0]


def _similarity(analyzer: DlibFaceAnalyzer, first: ImageArray, second: ImageArray) -> float:
    a = analyzer.embed(first, analyzer.detect(first)[0])
    b = analyzer.embed(second, analyzer.detect(second)[0])
    return float(np.dot(a, b))


def test_classical_upscaler_reaches_2048() -> None:
    image = Image.new("RGB", (1024, 768), (10, 20, 30))
    assert LanczosUpscaler().upscale(image).size == (2048, 1536)
    assert isinstance(load_upscaler(None), LanczosUpscaler)


def test_learned_upscaler_without_weights_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"RealESRGAN_x4plus\.pth"):
        load_upscaler(tmp_path / "missing.pth")


def test_learned_upscaler_without_spandrel_says_how_to_install(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    try:
        import spandrel  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("spandrel is installed here")
    weights = tmp_path / "RealESRGAN_x4plus.pth"
    weights.write_bytes(b"not really weights")
    with pytest.raises(ModelUnavailableError, match="spandrel"):
        load_upscaler(weights)


def test_white_balance_removes_a_colour_cast(photo: tuple[ImageArray, Face]) -> None:
    image, _ = photo
    cast = np.clip(image.astype(np.float32) * (0.8, 0.95, 1.2), 0, 255).astype(np.uint8)
    before = cast.reshape(-1, 3).mean(axis=0)
    after = white_balance(cast).reshape(-1, 3).mean(axis=0)
    assert np.ptp(after) < 0.6 * np.ptp(before)


def test_exposure_brings_dark_and_bright_copies_together(photo: tuple[ImageArray, Face]) -> None:
    image, face = photo
    box = tuple(int(v) for v in face.bbox)
    dark = (image * 0.6).astype(np.uint8)
    bright = np.clip(image * 1.3, 0, 255).astype(np.uint8)

    def face_luma(a: ImageArray) -> float:
        x0, y0, x1, y1 = box
        return float(cv2.cvtColor(a[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY).mean())

    gap_before = face_luma(bright) - face_luma(dark)
    gap_after = face_luma(correct_exposure(bright, box)) - face_luma(correct_exposure(dark, box))  # type: ignore[arg-type]
    assert abs(gap_after) < 0.6 * gap_before


def test_grades_differ_and_mono_is_grey(photo: tuple[ImageArray, Face]) -> None:
    image, _ = photo
    warm, cool = apply_grade(image, "warm"), apply_grade(image, "cool")
    assert warm[..., 0].mean() - warm[..., 2].mean() > cool[..., 0].mean() - cool[..., 2].mean() + 5
    mono = apply_grade(image, "mono").astype(int)
    assert np.abs(mono[..., 0] - mono[..., 2]).max() <= 2
    with pytest.raises(ValueError, match="grade must be one of"):
        apply_grade(image, "sepia")


def test_detail_lifts_texture_without_halos(photo: tuple[ImageArray, Face]) -> None:
    image, _ = photo
    soft = np.asarray(cv2.GaussianBlur(image, (0, 0), 1.5), np.uint8)
    sharper = enhance_detail(soft, 0.8)
    lap = lambda a: cv2.Laplacian(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var()  # noqa: E731
    assert lap(sharper) > 1.3 * lap(soft)
    luma_change = np.abs(
        cv2.cvtColor(sharper, cv2.COLOR_RGB2GRAY).astype(int) - cv2.cvtColor(soft, cv2.COLOR_RGB2GRAY)
    )
    assert luma_change.max() <= DETAIL_LIMIT + 3


def test_grabcut_segments_the_person_and_backdrop_replaces_the_rest(photo: tuple[ImageArray, Face]) -> None:
    image, face = photo
    alpha = GrabCutSegmenter().segment(image, face)
    x0, y0, x1, y1 = (int(v) for v in face.bbox)
    assert alpha[(y0 + y1) // 2, (x0 + x1) // 2] > 0.95
    assert alpha[:20, :20].mean() < 0.05
    assert alpha[:20, -20:].mean() < 0.05
    composite = replace_background(image, alpha, "#204080")
    corner = composite[:20, :20].reshape(-1, 3).mean(axis=0)
    assert np.abs(corner - (32, 64, 128)).max() < 40
    face_region = composite[y0:y1, x0:x1].astype(int) - image[y0:y1, x0:x1]
    assert np.abs(face_region).mean() < 3


def test_retouch_touches_only_skin_and_keeps_identity(
    person_a_paths: list[Path], dlib_analyzer: DlibFaceAnalyzer
) -> None:
    for path in person_a_paths[:4]:
        image = _load(path)
        face = dlib_analyzer.detect(image)[0]
        out = retouch(image, face, 1.0)
        changed = np.abs(out.astype(int) - image).sum(axis=2) > 0
        assert changed.any()
        x0, y0, x1, y1 = face.bbox
        ys, xs = np.nonzero(changed)
        assert xs.min() >= x0 - 0.3 * face.width
        assert xs.max() <= x1 + 0.3 * face.width
        assert ys.min() >= y0 - 0.45 * face.height
        assert ys.max() <= y1 + 0.45 * face.height
        assert _similarity(dlib_analyzer, image, out) > max(0.98, dlib_analyzer.match_threshold)


def test_finish_upscales_and_records_every_step(
    photo: tuple[ImageArray, Face], dlib_analyzer: DlibFaceAnalyzer
) -> None:
    image, _ = photo
    processor = PostProcessor(detect=dlib_analyzer.detect)
    settings = PostProcessSettings(background="#7f8489", colour_grade="warm", retouch=0.5)
    preview = Candidate(Image.fromarray(image), seed=1, params={"backend": "preview"})
    finished = processor.finish(preview, settings)
    assert max(finished.image.size) == 2048
    steps = finished.params["postprocess"]
    expected = "background:grabcut white_balance exposure retouch grade:warm upscale:lanczos detail"
    assert steps == expected.split()
    big = as_array(finished.image)
    assert _similarity(dlib_analyzer, image, big) > dlib_analyzer.match_threshold
    again = processor.finish(finished, settings)
    assert again.params["postprocess"].count("retouch") == 1


def test_a_generated_candidate_keeps_the_backdrop_the_prompt_painted(
    photo: tuple[ImageArray, Face], dlib_analyzer: DlibFaceAnalyzer
) -> None:
    image, _ = photo
    processor = PostProcessor(detect=dlib_analyzer.detect)
    settings = PostProcessSettings(background="#7f8489", colour_grade="none", retouch=0.0)
    generated = Candidate(Image.fromarray(image), seed=1, params={"backend": "diffusers"})
    finished = processor.finish(generated, settings)
    assert not any(step.startswith("background") for step in finished.params["postprocess"])
    corner = as_array(finished.image.resize(Image.fromarray(image).size))[:40, :40].astype(float)
    assert abs(corner.mean() - image[:40, :40].astype(float).mean()) < 6, "the backdrop was repainted"
