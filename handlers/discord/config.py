"""The settings the Discord adapter reads, as a protocol (`bot.settings.Settings` provides them).

Adapters are an inner layer and never import `bot/`; the composition root hands its one
`Settings` object in, and mypy checks here that it has every field below.
"""

from __future__ import annotations

from typing import Protocol


class DiscordConfig(Protocol):
    @property
    def discord_token(self) -> str: ...
    @property
    def discord_api_base(self) -> str:
        """Override of discord.py's HTTP base URL ('' for Discord's own; tests use an emulator)."""

    @property
    def discord_shard_count(self) -> int | None:
        """How many shards the bot is split into across processes (None: one process, one shard)."""

    @property
    def discord_shard_id(self) -> int:
        """The shard this process runs; Discord sends it the events of its servers only."""

    @property
    def max_upload_bytes(self) -> int: ...
