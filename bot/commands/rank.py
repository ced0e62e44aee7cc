"""`headshots rank CANDIDATES_DIR --selfies SELFIES_DIR [--keep N] [--json]`.

Ranks any image files (not only this pipeline's output) against a selfie set with the code
the worker uses (`engine.rank_files`) and prints, for every file, kept or dropped and why,
its scores and its cluster. It is how the ranking is checked on real photos.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.commands.assess import photo_paths
from bot.engine_config import load_engine_from_settings
from bot.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "rank", help="rank image files against a selfie set and say why each is kept or dropped"
    )
    parser.add_argument("candidates", type=Path, metavar="CANDIDATES_DIR", help="folder of images to rank")
    parser.add_argument(
        "--selfies", type=Path, required=True, metavar="SELFIES_DIR", help="the person's selfies"
    )
    parser.add_argument("--keep", type=int, default=None, help="how many to keep (default: the album size)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from engine.errors import EngineError
    from engine.rank_files import rank_files

    for folder in (args.candidates, args.selfies):
        if not folder.is_dir():
            print(f"{folder} is not a folder of images.", file=sys.stderr)
            return 2
    candidates = photo_paths([str(args.candidates)])
    selfies = photo_paths([str(args.selfies)])
    if not candidates or not selfies:
        empty = args.candidates if not candidates else args.selfies
        print(f"No images in {empty} (jpg, jpeg, png, webp, heic).", file=sys.stderr)
        return 2
    keep = args.keep if args.keep is not None else settings.album_size
    if keep < 1:
        print(f"--keep must be at least 1, got {keep}", file=sys.stderr)
        return 2
    try:
        resources = load_engine_from_settings(settings, backends=("preview",))
        result = rank_files(
            [(p.name, p.read_bytes()) for p in candidates],
            [(p.name, p.read_bytes()) for p in selfies],
            resources,
            keep=keep,
        )
    except EngineError as exc:
        print(exc.user_message, file=sys.stderr)
        return 1
    grader = result.grader
    if args.json:
        print(
            json.dumps(
                {
                    "identity_model": grader.analyzer.name,
                    "identity_threshold": grader.profile.threshold,
                    "independent_of_conditioning": grader.independent,
                    "kept": sum(f.kept for f in result.files),
                    "files": [
                        {
                            "file": f.name,
                            "kept": f.kept,
                            "rank": f.rank,
                            "reason": f.reason,
                            "cluster": f.cluster,
                            "scores": f.scores,
                        }
                        for f in result.files
                    ],
                },
                indent=2,
            )
        )
        return 0
    print(f"identity graded by {grader.analyzer.name} (same person at cosine >= {grader.profile.threshold})")
    for f in sorted(result.files, key=lambda f: (f.rank is None, f.rank or 0, -(f.scores.get("score") or 0))):
        head = f"#{f.rank:<2} kept   " if f.kept else "    dropped"
        scores = "  ".join(
            f"{key}={value:.3f}" for key, value in f.scores.items() if isinstance(value, float)
        )
        cluster = f"  look {f.cluster}" if f.cluster is not None else ""
        why = "" if f.kept else f"  ({f.reason})"
        print(f"{head} {f.name}{why}{cluster}")
        if scores:
            print(f"            {scores}")
    return 0
