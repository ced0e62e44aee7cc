"""`headshots generate DIR --style S`: run the whole pipeline on a folder of selfies.

Assesses the selfies first and stops with the assessor's message if the set is not ready;
otherwise runs stages 1-7 with a progress bar on stderr and writes the album (full-resolution
images, contact sheet, `album.json`) to `--out`. `--stated glasses=no` says what the
person says about themselves (it beats what the intake measured; album.json records it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.engine_config import load_engine_from_settings
from bot.settings import Settings
from engine.album import write_album
from engine.attributes import stated_attribute
from engine.errors import EngineError
from engine.pipeline import BACKENDS, PipelineRequest, run_pipeline
from engine.progress import ProgressEvent
from engine.types import Attribute

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}
BAR_WIDTH = 30


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "generate", help="run the whole pipeline on a folder of selfies"
    )
    parser.add_argument("folder", type=Path, help="folder of selfies (jpg, png, webp, heic)")
    parser.add_argument("--style", required=True, help="style name, e.g. corporate")
    parser.add_argument("--count", type=int, default=None, help="candidates to make (default from settings)")
    parser.add_argument("--keep", type=int, default=None, help="images in the album (default from settings)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="album folder (default ./out)")
    parser.add_argument("--backend", choices=BACKENDS, default=None, help="default from settings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--size", type=int, default=1024, help="side of each generated image in pixels (default 1024)"
    )
    parser.add_argument(
        "--stated",
        type=_stated,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="what the person says about themselves, beating what is measured (repeatable): "
        "glasses=yes|no, facial_hair=beard|none, hair='short grey'",
    )
    parser.set_defaults(handler=run)


def _stated(text: str) -> Attribute:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. glasses=no), got {text!r}")
    try:
        return stated_attribute(name, value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


class ProgressBar:
    """One line on stderr, redrawn per event: `generate [#####.....] 12/40`."""

    def __init__(self) -> None:
        self.stage = ""

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage != self.stage and self.stage:
            sys.stderr.write("\n")
        self.stage = event.stage
        filled = round(BAR_WIDTH * event.fraction)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        sys.stderr.write(f"\r{event.stage:<12} [{bar}] {event.step}/{event.total}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.stage:
            sys.stderr.write("\n")


def run(args: argparse.Namespace, settings: Settings) -> int:
    folder: Path = args.folder
    if not folder.is_dir():
        print(f"{folder} is not a folder of selfies.", file=sys.stderr)
        return 2
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not paths:
        print(f"No photos in {folder} (looked for {', '.join(sorted(PHOTO_SUFFIXES))}).", file=sys.stderr)
        return 2
    backend = args.backend or settings.generation_backend
    count = args.count if args.count is not None else settings.candidates_per_order
    keep = args.keep if args.keep is not None else min(settings.album_size, count)
    from bot.model_preset import announce

    refusal = announce(settings)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    bar = ProgressBar()
    try:
        resources = load_engine_from_settings(settings, backends=(backend,))
        request = PipelineRequest(
            selfies=[(p.name, p.read_bytes()) for p in paths],
            style=args.style,
            count=count,
            keep=keep,
            seed=args.seed,
            backend=backend,
            width=args.size,
            height=args.size,
            stated=tuple(args.stated),
        )
        album = run_pipeline(request, resources, progress=bar)
    except EngineError as exc:
        bar.close()
        print(exc.user_message, file=sys.stderr)
        return 1
    except ValueError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    if not album.items:
        print(
            "No candidate passed the checks; nothing to deliver. Try another seed or style.", file=sys.stderr
        )
        return 1
    files = write_album(album, args.out)
    if backend == "preview":
        kind = "studio retouches of your own photos (not AI-generated)"
        print(f"Album of {len(album)} {kind} in {files.folder}")
    else:
        print(f"Album of {len(album)} headshots in {files.folder}")
    print(f"Contact sheet: {files.contact_sheet}")
    print(f"Description: {files.manifest}")
    return 0
