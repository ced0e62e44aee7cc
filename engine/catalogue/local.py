"""Which of a model's files are on this machine, and the one command that fetches each.

Nothing is downloaded here (or anywhere at run time): a worker without network must say
exactly which file is missing and how to get that file alone, not a whole repository.
"""

from __future__ import annotations

import importlib.util
import shlex
from dataclasses import dataclass
from pathlib import Path

from engine.catalogue.entries import ModelEntry

UPSCALER_DIR = Path("~/.cache/headshots").expanduser()
INSIGHTFACE_ROOT = Path("~/.insightface").expanduser()
"""Where `headshots models` suggests putting weights that come as plain downloads."""


@dataclass(frozen=True)
class FileStatus:
    """One file (or one folder's glob) of a model: found where, or the command to fetch it."""

    file: str
    present: bool
    path: str
    fetch: str


def hub_cache() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _is_glob(file: str) -> bool:
    return any(char in file for char in "*?[")


def _hub_status(model: ModelEntry, source: str) -> list[FileStatus]:
    local = Path(source).expanduser()
    if source.startswith(("/", ".", "~")):
        return [
            FileStatus(
                file,
                any(local.glob(file)),
                str(local / file),
                f"copy {file} into {local} (a local folder was configured)",
            )
            for file in model.files
        ]
    snapshots = hub_cache() / f"models--{source.replace('/', '--')}" / "snapshots"
    statuses = []
    for file in model.files:
        found = next((p for snap in sorted(snapshots.glob("*")) for p in snap.glob(file)), None)
        fetch = (
            f"hf download {source} --include {shlex.quote(file)}"
            if _is_glob(file)
            else f"hf download {source} {shlex.quote(file)}"
        )
        statuses.append(FileStatus(file, found is not None, str(found or snapshots / "*" / file), fetch))
    return statuses


def _pip_status(model: ModelEntry) -> list[FileStatus]:
    spec = importlib.util.find_spec(model.source.replace("-", "_"))
    folder = Path(next(iter(spec.submodule_search_locations or [""]))) if spec is not None else None
    statuses = []
    for file in model.files:
        found = next(iter(folder.rglob(file)), None) if folder is not None else None
        statuses.append(
            FileStatus(file, found is not None, str(found or file), f"pip install {model.source}")
        )
    return statuses


def _url_status(model: ModelEntry, insightface_root: Path, upscaler_path: Path | None) -> list[FileStatus]:
    name = model.source.rsplit("/", 1)[-1]
    if name.endswith(".zip"):
        pack = name.removesuffix(".zip")
        # buffalo_l.zip holds the .onnx files; antelopev2.zip holds an antelopev2/ folder.
        target = insightface_root / "models" / (pack if pack == "buffalo_l" else "")
        fetch = (
            f"curl -L -o /tmp/{name} {model.source} && mkdir -p {target} && unzip -o /tmp/{name} -d {target}"
        )
        return [
            FileStatus(file, any(insightface_root.glob(file)), str(insightface_root / file), fetch)
            for file in model.files
        ]
    statuses = []
    for file in model.files:
        path = (
            upscaler_path if upscaler_path is not None and upscaler_path.name == file else UPSCALER_DIR / file
        )
        fetch = f"mkdir -p {path.parent} && curl -L -o {path} {model.source}"
        if model.setting:
            fetch += f"  # then {model.setting}={path}"
        statuses.append(FileStatus(file, path.is_file(), str(path), fetch))
    return statuses


def file_status(
    model: ModelEntry,
    *,
    source: str | None = None,
    insightface_root: Path = INSIGHTFACE_ROOT,
    upscaler_path: Path | None = None,
) -> list[FileStatus]:
    """Each file of `model` (from `source` when a setting points elsewhere): present or not."""
    if model.kind == "hf":
        return _hub_status(model, source or model.source)
    if model.kind == "pip":
        return _pip_status(model)
    if model.kind == "url":
        return _url_status(model, insightface_root.expanduser(), upscaler_path)
    return []
