"""`headshots models [--preset NAME] [--json]`: the model presets, their licences, and what
is on disk.

For each model: where it comes from, its size, its licence with the page it was read from
and a one-word verdict, which of its files this machine has, and the exact command that
fetches each missing file (nothing here downloads anything).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.model_preset import configured_models, configured_verdict
from bot.settings import Settings
from engine.catalogue.entries import ModelEntry
from engine.catalogue.local import file_status
from engine.catalogue.presets import PRESETS, Preset


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "models", help="list model presets, their licences, and which model files are present"
    )
    parser.add_argument("--preset", default=None, help=f"one preset ({', '.join(PRESETS)})")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def _model_json(
    role: str, model: ModelEntry, settings: Settings, source: str | None = None
) -> dict[str, Any]:
    files = file_status(
        model, source=source, insightface_root=settings.insightface_root, upscaler_path=settings.upscaler_path
    )
    return {
        "role": role,
        "key": model.key,
        "title": model.title,
        "source": source or model.source,
        "kind": model.kind,
        "size_mb": model.size_mb,
        "setting": model.setting,
        "licence": {
            "name": model.licence.name,
            "url": model.licence.url,
            "verdict": model.licence.verdict,
            "note": model.licence.note,
        },
        "files": [{"file": f.file, "present": f.present, "path": f.path, "fetch": f.fetch} for f in files],
    }


def preset_json(chosen: Preset, settings: Settings) -> dict[str, Any]:
    return {
        "name": chosen.name,
        "summary": chosen.summary,
        "verdict": chosen.verdict,
        "size_mb": chosen.size_mb,
        "backend": chosen.backend,
        "identity": chosen.identity,
        "face_backend": chosen.face_backend,
        "notes": chosen.notes,
        "models": [_model_json(role, model, settings) for role, model in chosen.entries()],
    }


def active_json(settings: Settings) -> dict[str, Any]:
    """What this configuration loads (preset plus overrides), with every model's licence."""
    models = configured_models(settings)
    return {
        "preset": settings.model_preset or None,
        "commercial": settings.commercial,
        "verdict": configured_verdict(models),
        "generation_backend": settings.generation_backend,
        "models": [
            {**_model_json(m.role, m.model, settings, m.source), "overridden": m.overridden} for m in models
        ],
    }


def _print_model(model: dict[str, Any]) -> None:
    licence = model["licence"]
    extra = " (override)" if model.get("overridden") else ""
    size = f"{model['size_mb'] / 1000:.1f} GB" if model["size_mb"] >= 1000 else f"{model['size_mb']} MB"
    print(f"  {model['role']:<18} {model['title']}{extra}")
    print(f"  {'':<18} source {model['source']}, {size}")
    print(f"  {'':<18} licence {licence['name']} -> {licence['verdict'].upper()}  {licence['url']}")
    for f in model["files"]:
        mark = "present" if f["present"] else "MISSING"
        print(
            f"  {'':<18}   [{mark}] {f['file']}"
            + ("" if f["present"] else f"\n  {'':<20}   fetch: {f['fetch']}")
        )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.preset is not None and args.preset not in PRESETS:
        print(f"unknown preset {args.preset!r}; choose one of: {', '.join(PRESETS)}", file=sys.stderr)
        return 2
    chosen = [PRESETS[args.preset]] if args.preset else list(PRESETS.values())
    report: dict[str, Any] = {
        "active": active_json(settings),
        "presets": [preset_json(p, settings) for p in chosen],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for item in report["presets"]:
        print(f"{item['name']}: {item['verdict'].upper()}, {item['size_mb'] / 1000:.1f} GB on disk")
        print(f"  {item['summary']}")
        if item["notes"]:
            print(f"  {item['notes']}")
        for model in item["models"]:
            _print_model(model)
        print()
    active = report["active"]
    print(
        f"This configuration: preset {active['preset'] or '(none: individual settings)'}, backend "
        f"{active['generation_backend']}, licence verdict {active['verdict'].upper()}"
        + (" (HEADSHOTS_COMMERCIAL=true)" if active["commercial"] else "")
    )
    for model in active["models"]:
        _print_model(model)
    return 0
