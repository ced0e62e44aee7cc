"""`headshots assess PHOTO_OR_DIR... [--json]`: the chat bot's photo checks from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("assess", help="assess selfies and print the verdicts")
    parser.add_argument("paths", nargs="+", metavar="PHOTO_OR_DIR", help="photos, or folders of photos")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def photo_paths(paths: list[str]) -> list[Path]:
    """Files as given; folders expanded to their photos, sorted (the upload order)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
            )
        else:
            found.append(path)
    return found


def run(args: argparse.Namespace, settings: Settings) -> int:
    from engine.errors import ModelUnavailableError
    from engine.faces import load_face_analyzer
    from engine.intake import Assessor

    paths = photo_paths(args.paths)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing or not paths:
        print(f"No such photo: {', '.join(missing) or ' '.join(args.paths)}", file=sys.stderr)
        return 2
    try:
        analyzer = load_face_analyzer(
            settings.face_backend,
            insightface_pack=settings.insightface_pack,
            insightface_root=settings.insightface_root,
        )
    except ModelUnavailableError as exc:
        print(exc.user_message, file=sys.stderr)
        return 3
    assessor = Assessor(
        analyzer,
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels,
        min_photos=settings.min_selfies,
    )
    results = [assessor.assess(path.read_bytes(), str(path)) for path in paths]
    verdict = assessor.assess_set([r.signature for r in results])
    photos: list[dict[str, Any]] = []
    messages: dict[str, list[str]] = {}
    for result in results:
        report = verdict.applied_to(result.report)
        messages[report.name] = [issue.message for issue in report.issues]
        photos.append(
            {
                "path": report.name,
                "ok": report.ok,
                "issues": report.codes,
                "faces": report.faces,
                "sharpness": report.sharpness,
                "brightness": report.brightness,
                "yaw": report.yaw,
                "pitch": report.pitch,
                "roll": report.roll,
                "face_px": report.face_px,
                "similarity": report.similarity,
            }
        )
    summary = {
        "ready": verdict.readiness.ready,
        "consistent": verdict.readiness.consistent,
        "outliers": list(verdict.readiness.outliers),
        "usable": verdict.readiness.usable_count,
        "needed": verdict.readiness.needed,
        "message": verdict.readiness.message,
    }
    if args.json:
        print(json.dumps({"photos": photos, "set": summary}, indent=2))
    else:
        for photo in photos:
            status = "ok" if photo["ok"] else ", ".join(photo["issues"])
            print(f"{photo['path']}: {status}")
            for message in messages[photo["path"]]:
                print(f"    {message}")
        print(summary["message"])
    return 0 if verdict.readiness.ready else 1
