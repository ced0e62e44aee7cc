"""Upscaling to the album's 2048 px: a learned upscaler when its weights are configured,
a classical one otherwise.

Real-ESRGAN (or any model `spandrel` reads) restores texture a resize cannot; it needs the
optional `upscale` extra and a weights file (`Settings.upscaler_path`). Without them the
classical path is Lanczos resampling; the detail step that follows (`engine.postprocess.detail`)
brings back edge contrast. The classical path is stated as such in every candidate's params.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from engine.errors import ModelUnavailableError

log = logging.getLogger(__name__)

ALBUM_SIDE = 2048
"""Long side of every delivered image."""
REAL_ESRGAN_HINT = (
    "Download RealESRGAN_x4plus.pth from https://github.com/xinntao/Real-ESRGAN/releases and set "
    "HEADSHOTS_UPSCALER_PATH to it, or leave HEADSHOTS_UPSCALER_PATH empty to use the classical upscaler."
)


class Upscaler(Protocol):
    """Resizes an RGB image so its long side is `long_side` pixels."""

    name: str

    def upscale(self, image: Image.Image, long_side: int = ALBUM_SIDE) -> Image.Image: ...


def target_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class LanczosUpscaler:
    """The classical path: Lanczos resampling (sharpening is the detail step's job)."""

    name = "lanczos"

    def upscale(self, image: Image.Image, long_side: int = ALBUM_SIDE) -> Image.Image:
        size = target_size(image.size, long_side)
        if size == image.size:
            return image
        return image.resize(size, Image.Resampling.LANCZOS)


class SpandrelUpscaler:
    """A learned upscaler (Real-ESRGAN x2/x4 and kin) loaded from a weights file by `spandrel`.

    The model runs once at its native scale, then Lanczos fits the exact target size.
    """

    name = "spandrel"

    def __init__(self, weights: Path, *, device: str = "cpu") -> None:
        if not weights.is_file():
            raise ModelUnavailableError(f"The upscaler weights {weights} do not exist. {REAL_ESRGAN_HINT}")
        try:
            import spandrel
            import torch
        except ImportError as exc:
            raise ModelUnavailableError(
                "The learned upscaler needs the 'spandrel' package: pip install 'headshot-studio[upscale]'. "
                + REAL_ESRGAN_HINT
            ) from exc
        self._torch: Any = torch
        self._model: Any = spandrel.ModelLoader(device=device).load_from_file(str(weights)).eval()
        self.device = device
        self.scale = int(self._model.scale)
        self.name = f"spandrel:{weights.stem}"
        log.info("upscaler %s loaded (x%d) on %s", weights.name, self.scale, device)

    def upscale(self, image: Image.Image, long_side: int = ALBUM_SIDE) -> Image.Image:
        if max(image.size) >= long_side:
            return LanczosUpscaler().upscale(image, long_side)
        torch = self._torch
        array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        tensor = torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).to(self.device)
        with torch.inference_mode():
            output = self._model(tensor).clamp(0, 1)
        result = (output[0].permute(1, 2, 0).cpu().numpy() * 255.0 + 0.5).astype(np.uint8)
        return LanczosUpscaler().upscale(Image.fromarray(result, "RGB"), long_side)


def load_upscaler(weights: Path | None, *, device: str = "cpu") -> Upscaler:
    """The learned upscaler when `weights` is set (a clear error if it cannot load), else Lanczos."""
    if weights is None:
        return LanczosUpscaler()
    return SpandrelUpscaler(weights, device=device)
