"""Sub-commands of `headshots`. Each module exposes `register(subparsers)`.

`register` adds the parser and sets `handler(args, settings) -> exit code` on it.
"""

from __future__ import annotations

from types import ModuleType

from bot.commands import assess, ban, db, generate, intake, models, rank, serve, status, submit, worker

COMMANDS: tuple[ModuleType, ...] = (
    serve,
    worker,
    intake,
    generate,
    assess,
    rank,
    submit,
    status,
    db,
    ban,
    models,
)
