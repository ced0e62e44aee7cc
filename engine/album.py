"""The album: ranked images, their scores, a contact sheet, and the files on disk.

`album.json` describes everything a chat needs to deliver the album and answer "more like
#3" later: the rank, the file, every score, the raw identity cosine, the shot descriptor and
the parameters that made each image; `stats.identity` names the grading face model and gives
the album's median and minimum cosine.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.types import Album, ScoredCandidate

SHEET_THUMB = 320
SHEET_GAP = 8
SHEET_BACKGROUND = (24, 24, 24)
JPEG_QUALITY = 95


@dataclass(frozen=True)
class AlbumFiles:
    """Where `write_album` put things."""

    folder: Path
    images: tuple[Path, ...]
    contact_sheet: Path | None
    manifest: Path


def contact_sheet(items: Sequence[ScoredCandidate], *, thumb: int = SHEET_THUMB) -> Image.Image:
    """A grid of the ranked images with their rank numbers drawn in the corner."""
    if not items:
        raise ValueError("a contact sheet needs at least one image")
    columns = min(4, len(items)) if len(items) != 9 else 3
    rows = math.ceil(len(items) / columns)
    sheet = Image.new(
        "RGB",
        (columns * thumb + (columns + 1) * SHEET_GAP, rows * thumb + (rows + 1) * SHEET_GAP),
        SHEET_BACKGROUND,
    )
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=max(12, thumb // 9))
    for rank, item in enumerate(items, start=1):
        image = item.candidate.image.copy()
        image.thumbnail((thumb, thumb), Image.Resampling.LANCZOS)
        row, column = divmod(rank - 1, columns)
        x = SHEET_GAP + column * (thumb + SHEET_GAP) + (thumb - image.width) // 2
        y = SHEET_GAP + row * (thumb + SHEET_GAP) + (thumb - image.height) // 2
        sheet.paste(image, (x, y))
        label = f"#{rank}"
        box = draw.textbbox((0, 0), label, font=font)
        pad = max(3, thumb // 60)
        draw.rectangle((x, y, x + box[2] + 2 * pad, y + box[3] + 2 * pad), fill=(0, 0, 0))
        draw.text((x + pad, y + pad), label, fill=(255, 255, 255), font=font)
    return sheet


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def item_record(rank: int, item: ScoredCandidate, file_name: str) -> dict[str, Any]:
    """One image's entry in `album.json`."""
    params = {k: v for k, v in item.candidate.params.items() if k != "control_images"}
    return {
        "rank": rank,
        "file": file_name,
        "width": item.candidate.image.width,
        "height": item.candidate.image.height,
        "seed": item.candidate.seed,
        "score": item.score,
        "identity": item.identity,
        "quality": item.quality,
        "style_fit": item.style_fit,
        "cluster": item.cluster,
        "identity_cosine": item.details.get("identity_cosine"),
        "details": _json_safe(dict(item.details)),
        "descriptor": None if item.descriptor is None else item.descriptor.to_json(),
        "embedding": None if item.embedding is None else [round(float(v), 6) for v in item.embedding],
        "params": _json_safe(params),
    }


def album_manifest(album: Album, files: Sequence[str], sheet: str | None) -> dict[str, Any]:
    return {
        "style": album.style,
        "count": len(album),
        "dropped": album.dropped,
        "contact_sheet": sheet,
        "stats": _json_safe(dict(album.stats)),
        "items": [item_record(rank, item, name) for rank, (item, name) in enumerate(zip(album.items, files,
                                                                                        strict=True), 1)],
    }  # fmt: skip


def write_album(album: Album, folder: Path) -> AlbumFiles:
    """Full-resolution JPEGs (`01.jpg`, ...), `contact_sheet.jpg` and `album.json` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for rank, item in enumerate(album.items, start=1):
        path = folder / f"{rank:02d}.jpg"
        item.candidate.image.convert("RGB").save(path, "JPEG", quality=JPEG_QUALITY)
        images.append(path)
    sheet_path = None
    if album.contact_sheet is not None:
        sheet_path = folder / "contact_sheet.jpg"
        album.contact_sheet.save(sheet_path, "JPEG", quality=90)
    manifest = folder / "album.json"
    data = album_manifest(album, [p.name for p in images], sheet_path.name if sheet_path else None)
    tmp = manifest.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(manifest)
    return AlbumFiles(folder=folder, images=tuple(images), contact_sheet=sheet_path, manifest=manifest)
