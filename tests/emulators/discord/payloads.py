"""Discord's payload shapes as the emulator stores and sends them, and the limits it enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

API_PREFIX = "/api/v10"
EPHEMERAL = 1 << 6
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MEMBER_PERMISSIONS = 0x0000_0000_0006_3E40  # send/read messages, attach files, embed links, ...


@dataclass
class Call:
    """One REST request the bot made: route, JSON body (or payload_json) and uploaded files."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: dict[str, bytes] = field(default_factory=dict)
    status: int = 200


@dataclass
class Message:
    """A message as the emulator stores it; `files` keeps the uploaded bytes by filename."""

    id: int
    channel_id: int
    author: dict[str, Any]
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    flags: int = 0
    interaction_id: int | None = None
    edits: int = 0
    guild_id: int | None = None
    mention_everyone: bool = False
    """Whether Discord would have pinged @everyone/@here (content and `allowed_mentions`)."""

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    def custom_ids(self) -> list[str]:
        """Every component custom_id on the message, in order (buttons and selects)."""
        items = [i for row in self.components for i in row.get("components", [])]
        return [i["custom_id"] for i in items if "custom_id" in i]

    def buttons(self) -> list[dict[str, Any]]:
        return [i for row in self.components for i in row.get("components", []) if i.get("type") == 2]

    def selects(self) -> list[dict[str, Any]]:
        return [i for row in self.components for i in row.get("components", []) if i.get("type") == 3]

    def text(self) -> str:
        """Content plus embed titles and descriptions: what a member reads."""
        parts = [self.content]
        for embed in self.embeds:
            parts.extend(str(embed.get(k, "")) for k in ("title", "description"))
            parts.extend(f"{f.get('name', '')} {f.get('value', '')}" for f in embed.get("fields", []))
        return "\n".join(p for p in parts if p)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author,
            "content": self.content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": self.mention_everyone,
            "mentions": [],
            "mention_roles": [],
            "attachments": self.attachments,
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": 0,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass(frozen=True)
class ChannelOption:
    """A slash command option that names a channel (`#general`), resolved like Discord does."""

    channel_id: int


@dataclass
class Member:
    id: int
    name: str
    permissions: int = MEMBER_PERMISSIONS
    dms_open: bool = True
    locale: str = "en-US"
    """The member's client language: every interaction of theirs carries it."""

    def user(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": False,
        }


def option_type(value: object) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    return 3


def error(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}
