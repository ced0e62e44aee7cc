"""The emulated world: ids, guilds, channels, members, messages, and what the bot did."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.emulators.discord.limits import RateLimits, mentions_everyone
from tests.emulators.discord.payloads import (
    ADMINISTRATOR,
    API_PREFIX,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    Call,
    Member,
    Message,
)

log = logging.getLogger(__name__)


class EmulatorState:
    """Everything the REST and gateway sides share."""

    def __init__(self, files_root: Path) -> None:
        self.files_root = files_root
        self._ids = itertools.count(1_300_000_000_000_000_000)
        self.application_id = self.snowflake()
        self.bot_user: dict[str, Any] = {
            "id": str(self.application_id),
            "username": "headshots",
            "global_name": "Headshot Studio",
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "flags": 0,
        }
        self.guilds: dict[int, dict[str, Any]] = {}
        self.members: dict[int, Member] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, Message] = {}
        self.deleted: list[int] = []
        """Ids of messages deleted through the API, in order."""
        self.calls: list[Call] = []
        self.commands: list[dict[str, Any]] = []
        self.interactions: dict[int, dict[str, Any]] = {}
        self._tokens: dict[str, int] = {}
        self._uploads: dict[str, bytes] = {}
        self._ws: web.WebSocketResponse | None = None
        """Shard 0's connection (the only one without sharding)."""
        self._shards: dict[int, web.WebSocketResponse] = {}
        self._session_shards: dict[str, int] = {}
        self.shard_count = 1
        self.identified_shards: list[tuple[int, int]] = []
        """The `shard` field of every IDENTIFY, in order ((0, 1) when the bot sends none)."""
        self._seq = 0
        self.connected = asyncio.Event()
        self.identified_count = 0
        self.ack_window_s = 3.0
        """Receiving and Responding: an interaction must be answered within 3 seconds."""
        self.token_window_s = 15 * 60.0
        """Receiving and Responding: follow-ups use the token, "valid for 15 minutes"."""
        self.rate_limits = RateLimits()
        self.late_acks: list[int] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    def snowflake(self) -> int:
        return next(self._ids)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- world building ------------------------------------------------------------

    def add_guild(
        self, name: str, channels: Iterable[str] = ("general",), *, guild_id: int | None = None
    ) -> int:
        """A server with text `channels`; `guild_id` chooses its id (and so its shard)."""
        guild_id = self.snowflake() if guild_id is None else guild_id
        channel_payloads = []
        for position, channel_name in enumerate(channels):
            channel_id = self.snowflake()
            payload = {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": channel_name,
                "position": position,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
            self.channels[channel_id] = payload
            channel_payloads.append(payload)
        self.guilds[guild_id] = {
            "id": str(guild_id),
            "name": name,
            "icon": None,
            "owner_id": str(self.snowflake()),
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": str(MEMBER_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": channel_payloads,
            "threads": [],
            "members": [],
            "member_count": 1,
            "features": [],
            "emojis": [],
            "stickers": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "voice_states": [],
            "presences": [],
            "large": False,
            "unavailable": False,
            "joined_at": datetime.now(UTC).isoformat(),
            "preferred_locale": "en-US",
            "premium_tier": 0,
            "mfa_level": 0,
            "verification_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "system_channel_flags": 0,
            "nsfw_level": 0,
        }
        return guild_id

    def channel_id(self, guild_id: int, name: str) -> int:
        for payload in self.guilds[guild_id]["channels"]:
            if payload["name"] == name:
                return int(payload["id"])
        raise KeyError(name)

    def add_member(
        self, name: str, *, admin: bool = False, dms_open: bool = True, locale: str = "en-US"
    ) -> Member:
        permissions = MEMBER_PERMISSIONS | (MANAGE_GUILD | ADMINISTRATOR if admin else 0)
        member = Member(self.snowflake(), name, permissions, dms_open, locale)
        self.members[member.id] = member
        return member

    def dm_channel_id(self, member: Member) -> int | None:
        """The DM channel the bot opened with `member`, if any."""
        for channel_id, payload in self.channels.items():
            if payload["type"] == 1 and payload["recipients"][0]["id"] == str(member.id):
                return channel_id
        return None

    def file_url(self, path: Path) -> str:
        key = secrets.token_hex(6)
        self._uploads[key] = path.read_bytes()
        return f"{self.base_url}/files/{key}/{path.name}"

    # -- reading back what the bot did ----------------------------------------------

    def bot_messages(self, channel_id: int | None = None) -> list[Message]:
        return [
            m
            for m in self.messages.values()
            if m.author["id"] == self.bot_user["id"] and channel_id in (None, m.channel_id)
        ]

    def responses(self, interaction_id: int) -> list[dict[str, Any]]:
        """The interaction callbacks the bot sent for one interaction (type, data)."""
        return list(self.interactions[interaction_id]["responses"])

    def interaction_messages(self, interaction_id: int) -> list[Message]:
        """Messages created by the callback or follow-ups of one interaction."""
        return [m for m in self.messages.values() if m.interaction_id == interaction_id]

    async def wait_for(self, predicate: Callable[[], Any], within: float = 20.0, what: str = "") -> Any:
        """Poll until `predicate()` returns something truthy; fail naming `what` after `within` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() > deadline:
                calls = "\n".join(f"  {c.method} {c.path} {c.status}" for c in self.calls[-15:])
                raise AssertionError(f"timed out waiting for {what or predicate}; last calls:\n{calls}")
            await asyncio.sleep(0.02)

    def _new_bot_message(self, channel_id: int, call: Call, interaction_id: int | None = None) -> Message:
        body = call.body or {}
        attachments = []
        for index, (name, data) in enumerate(call.files.items()):
            key = secrets.token_hex(6)
            self._uploads[key] = data
            attachments.append(
                {
                    "id": str(self.snowflake()),
                    "filename": name,
                    "size": len(data),
                    "url": f"{self.base_url}/files/{key}/{name}",
                    "proxy_url": f"{self.base_url}/files/{key}/{name}",
                    "index": index,
                }
            )
        channel = self.channels.get(channel_id, {})
        message = Message(
            id=self.snowflake(),
            channel_id=channel_id,
            author=self.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            attachments=attachments,
            files=dict(call.files),
            flags=int(body.get("flags") or 0),
            interaction_id=interaction_id,
            guild_id=int(channel["guild_id"]) if "guild_id" in channel else None,
            mention_everyone=mentions_everyone(body),
        )
        self.messages[message.id] = message
        return message

    def _apply_edit(self, message: Message, call: Call) -> None:
        body = call.body or {}
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = body["embeds"] or []
        if "components" in body:
            message.components = body["components"] or []
        if call.files:
            message.files.update(call.files)
        message.edits += 1
