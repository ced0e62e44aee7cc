"""Degraded copies of real photos, made in code: what a bad selfie looks like to the assessor.

Used by the quality tests and by bench/measure_quality.py, which records the measurements the
thresholds in engine/quality.py come from.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

Box = tuple[float, float, float, float]


def blur(image: Image.Image, face_width: float, fraction: float = 0.02) -> Image.Image:
    """Gaussian blur with sigma a fraction of the face width (0.02 of a 300 px face = 6 px)."""
    return image.filter(ImageFilter.GaussianBlur(fraction * face_width))


def exposure(image: Image.Image, gain: float) -> Image.Image:
    """Scale linear light by `gain` (<1 darker, >1 overexposed) with sRGB-ish gamma 2.2."""
    linear = (np.asarray(image, dtype=np.float32) / 255.0) ** 2.2 * gain
    return Image.fromarray((np.clip(linear, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8))


def backlight(image: Image.Image, face: Box, face_gain: float = 0.15) -> Image.Image:
    """Subject in shadow against a bright window: face region darkened, the rest blown out."""
    dark = np.asarray(exposure(image, face_gain), dtype=np.float32)
    bright = np.asarray(exposure(image, 4.0), dtype=np.float32)
    x0, y0, x1, y1 = face
    w, h = x1 - x0, y1 - y0
    ys, xs = np.mgrid[0 : image.height, 0 : image.width]
    inside = ((xs - (x0 + x1) / 2) / (0.9 * w)) ** 2 + ((ys - (y0 + y1) / 2) / (0.9 * h)) ** 2 <= 1.0
    out = np.where(inside[..., None], dark, bright)
    return Image.fromarray(out.astype(np.uint8))


def side_shadow(image: Image.Image, split_x: float, gain: float = 0.08) -> Image.Image:
    """Hard light from one side: everything left of `split_x` (the nose) in deep shadow."""
    arr = np.asarray(image, dtype=np.float32).copy()
    shaded = np.asarray(exposure(image, gain), dtype=np.float32)
    cut = round(split_x)
    arr[:, :cut] = shaded[:, :cut]
    return Image.fromarray(arr.astype(np.uint8))


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Turned counter-clockwise on an expanded canvas (a photo saved sideways, a tilted camera)."""
    return image.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(128, 128, 128))


def jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    return Image.open(io.BytesIO(jpeg_bytes(image, quality))).convert("RGB")


def reencoded(image: Image.Image, quality: int = 60) -> Image.Image:
    """Sent through a chat app: recompressed."""
    return jpeg(image, quality)


def resized(image: Image.Image, factor: float = 0.5) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def cropped(image: Image.Image, fraction: float = 0.04) -> Image.Image:
    """A little trimmed from every side (an editor's crop, a re-framed share)."""
    dx, dy = round(image.width * fraction), round(image.height * fraction)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def screenshot(image: Image.Image, border: float = 0.08, bar: float = 0.05) -> Image.Image:
    """A phone screenshot of the photo: black frame around it, a grey status bar on top."""
    pad_x, pad_y = round(image.width * border), round(image.height * border)
    bar_h = round(image.height * bar)
    canvas = Image.new("RGB", (image.width + 2 * pad_x, image.height + 2 * pad_y + bar_h), (0, 0, 0))
    canvas.paste((60, 60, 60), (0, 0, canvas.width, bar_h))
    canvas.paste(image, (pad_x, pad_y + bar_h))
    return canvas


def recoloured(image: Image.Image, warmth: float = 1.08, brightness: float = 1.1) -> Image.Image:
    """A mild filter: a little brighter and warmer."""
    arr = np.asarray(image, dtype=np.float32) * brightness
    arr[..., 0] *= warmth
    arr[..., 2] /= warmth
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


RESHARES = {
    "re-encoded q60": reencoded,
    "resized 0.5": resized,
    "cropped 4%": cropped,
    "screenshot": screenshot,
    "warmer, brighter": recoloured,
    "resized, cropped, recoloured, q70": lambda image: reencoded(
        recoloured(cropped(resized(image, 0.6), 0.03)), 70
    ),
    "screenshot of a q50 copy": lambda image: screenshot(reencoded(resized(image, 0.7), 50)),
}
"""What a photo looks like after passing through phones and chats (named for the docs)."""


def far_away(
    image: Image.Image,
    face_width: float,
    face_px: int,
    canvas: tuple[int, int] = (2400, 1800),
    background: str = "rocket",
) -> Image.Image:
    """The photo shrunk so its face is `face_px` wide, placed off-centre in a large frame: a
    person standing far from the camera. `background` is a scikit-image sample, enlarged:
    "rocket" (outdoors: sky, concrete) or "coffee" (a café: warm browns, skin-coloured)."""
    from skimage import data

    factor = face_px / face_width
    small = resized(image, factor)
    back = Image.fromarray(getattr(data, background)()).resize(canvas, Image.Resampling.BILINEAR)
    back.paste(small, (round(canvas[0] * 0.55 - small.width / 2), round(canvas[1] * 0.4 - small.height / 2)))
    return back


def _eye_ellipse(points: np.ndarray, grow: float) -> tuple[tuple[int, int], tuple[int, int]]:
    centre = points.mean(axis=0)
    width = float(points[:, 0].max() - points[:, 0].min())
    return (round(centre[0]), round(centre[1])), (round(width * grow / 2), round(width * grow * 0.42))


def _draw(image: Image.Image, paint: Callable[[np.ndarray], None]) -> Image.Image:
    arr = np.ascontiguousarray(np.asarray(image).copy())
    paint(arr)
    return Image.fromarray(arr)


def sunglasses(image: Image.Image, landmarks_68: np.ndarray) -> Image.Image:
    """Dark lenses over both eyes and a bridge between them."""
    import cv2

    def paint(arr: np.ndarray) -> None:
        span = float(np.linalg.norm(landmarks_68[45] - landmarks_68[36]))
        for eye in (landmarks_68[36:42], landmarks_68[42:48]):
            centre, axes = _eye_ellipse(eye, 1.9)
            cv2.ellipse(arr, centre, axes, 0, 0, 360, (18, 20, 24), -1)
        a, b = landmarks_68[39], landmarks_68[42]
        cv2.line(arr, tuple(map(round, a)), tuple(map(round, b)), (18, 20, 24), max(2, round(span / 30)))

    return _draw(image, paint)


def glasses(image: Image.Image, landmarks_68: np.ndarray) -> Image.Image:
    """Clear glasses: thin dark rims around both eyes, a bridge and the arms to the ears."""
    import cv2

    def paint(arr: np.ndarray) -> None:
        span = float(np.linalg.norm(landmarks_68[45] - landmarks_68[36]))
        thick = max(2, round(span / 35))
        for eye in (landmarks_68[36:42], landmarks_68[42:48]):
            centre, axes = _eye_ellipse(eye, 1.8)
            cv2.ellipse(arr, centre, axes, 0, 0, 360, (25, 22, 20), thick)
        left = _eye_ellipse(landmarks_68[36:42], 1.8)
        right = _eye_ellipse(landmarks_68[42:48], 1.8)
        y = round((left[0][1] + right[0][1]) / 2 - left[1][1] * 0.3)
        cv2.line(arr, (left[0][0] + left[1][0], y), (right[0][0] - right[1][0], y), (25, 22, 20), thick)
        cv2.line(
            arr,
            (left[0][0] - left[1][0], left[0][1]),
            tuple(map(round, landmarks_68[0])),
            (25, 22, 20),
            thick,
        )
        cv2.line(
            arr,
            (right[0][0] + right[1][0], right[0][1]),
            tuple(map(round, landmarks_68[16])),
            (25, 22, 20),
            thick,
        )

    return _draw(image, paint)


def _lower_face(landmarks_68: np.ndarray, top: int) -> np.ndarray:
    """Polygon from the jaw line up to landmark `top`'s height (a mask, a hand's outline)."""
    jaw = landmarks_68[2:15]
    y = float(landmarks_68[top][1])
    return np.vstack([[jaw[0][0], y], jaw, [jaw[-1][0], y]]).round().astype(np.int32)


def mask_over_mouth(image: Image.Image, landmarks_68: np.ndarray) -> Image.Image:
    """A pale blue surgical mask over nose, mouth and chin."""
    import cv2

    def paint(arr: np.ndarray) -> None:
        cv2.fillPoly(arr, [_lower_face(landmarks_68, 29)], (170, 200, 225))

    return _draw(image, paint)


def hand_over_mouth(image: Image.Image, landmarks_68: np.ndarray) -> Image.Image:
    """A hand of the person's own skin colour over the mouth, fingers shaded apart."""
    import cv2

    def paint(arr: np.ndarray) -> None:
        cheek = arr[
            round(landmarks_68[29][1]) : round(landmarks_68[33][1]),
            round(landmarks_68[3][0]) : round(landmarks_68[31][0]),
        ]
        colour = tuple(int(v) for v in cheek.reshape(-1, 3).mean(axis=0)) if cheek.size else (200, 160, 140)
        poly = _lower_face(landmarks_68, 33)
        cv2.fillPoly(arr, [poly], colour)
        shade = tuple(int(v * 0.7) for v in colour)
        top, bottom = float(landmarks_68[33][1]), float(landmarks_68[8][1])
        for k in range(1, 4):
            y = round(top + (bottom - top) * k / 4.5)
            cv2.line(arr, (round(landmarks_68[3][0]), y), (round(landmarks_68[13][0]), y), shade, 2)

    return _draw(image, paint)


def phone_over_mouth(image: Image.Image, landmarks_68: np.ndarray) -> Image.Image:
    """A phone held in front of the mouth and chin."""
    import cv2

    def paint(arr: np.ndarray) -> None:
        x0, x1 = landmarks_68[4][0], landmarks_68[12][0]
        y0, y1 = landmarks_68[33][1], landmarks_68[8][1] + 10
        cv2.rectangle(arr, (round(x0), round(y0)), (round(x1), round(y1)), (35, 35, 40), -1)

    return _draw(image, paint)


def hair_over_eye(image: Image.Image, landmarks_68: np.ndarray) -> Image.Image:
    """A lock of dark hair falling over the image-left eye."""
    import cv2

    def paint(arr: np.ndarray) -> None:
        eye = landmarks_68[36:42]
        centre, axes = _eye_ellipse(eye, 2.2)
        rng = np.random.default_rng(1)
        top = round(landmarks_68[19][1]) - axes[0]
        thick = max(3, axes[0] // 5)
        for x in range(centre[0] - axes[0], centre[0] + axes[0] + 1, max(1, thick // 2)):
            colour = tuple(int(v) for v in rng.integers(25, 70, 3))
            sway = int(rng.integers(-thick, thick + 1))
            cv2.line(arr, (x, top), (x + sway, centre[1] + axes[1] * 2), colour, thick)

    return _draw(image, paint)


OCCLUDERS = {
    "sunglasses": sunglasses,
    "mask": mask_over_mouth,
    "hand over mouth": hand_over_mouth,
    "phone over mouth": phone_over_mouth,
    "hair over one eye": hair_over_eye,
}
"""What covers part of a face in real selfies (for tests and bench/measure_occlusion.py)."""
