"""A loopback emulator of the parts of the Discord HTTP API and gateway our bot uses.

The real discord.py client connects to it: point `discord.http.Route.BASE` at `api_base` and
the gateway at `gateway_url` (the emulator also answers `GET /gateway/bot` with it). Tests
script what members do (slash commands, button presses, select menus, messages with
attachments served from real files) and read back every REST call the bot made, with the
messages it posted, edited, or sent as files.

Only what the bot needs is emulated, but it is emulated faithfully: real payload shapes,
multipart uploads, interaction callbacks and webhook follow-ups, DM channel creation and the
50007 error Discord returns when a member's DMs are closed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import mimetypes
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

log = logging.getLogger(__name__)

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
            "mention_everyone": False,
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

    def user(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": False,
        }


class DiscordEmulator:
    """One application, one bot user, guilds with text channels, members, DMs.

    Use as `async with DiscordEmulator(files_root) as emu:`; then `emu.api_base` and
    `emu.gateway_url` are live. `files_root` is the folder attachments are served from.
    """

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
        self.calls: list[Call] = []
        self.commands: list[dict[str, Any]] = []
        self.interactions: dict[int, dict[str, Any]] = {}
        self._tokens: dict[str, int] = {}
        self._uploads: dict[str, bytes] = {}
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self.connected = asyncio.Event()
        self.identified_count = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------

    def snowflake(self) -> int:
        return next(self._ids)

    async def __aenter__(self) -> DiscordEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/files/{key}/{name}", self._serve_file)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

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

    def add_guild(self, name: str, channels: Iterable[str] = ("general",)) -> int:
        guild_id = self.snowflake()
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

    def add_member(self, name: str, *, admin: bool = False, dms_open: bool = True) -> Member:
        permissions = MEMBER_PERMISSIONS | (MANAGE_GUILD | ADMINISTRATOR if admin else 0)
        member = Member(self.snowflake(), name, permissions, dms_open)
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

    # -- what members do -----------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        await asyncio.wait_for(self.connected.wait(), 10)
        assert self._ws is not None
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def send_message(
        self,
        member: Member,
        channel_id: int,
        content: str = "",
        attachments: Iterable[Path | tuple[str, bytes]] = (),
    ) -> Message:
        """A member posts a message (with files) in a guild channel or a DM with the bot."""
        channel = self.channels[channel_id]
        attachment_payloads = []
        for item in attachments:
            name, data = (item.name, item.read_bytes()) if isinstance(item, Path) else item
            key = secrets.token_hex(6)
            self._uploads[key] = data
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            attachment_payloads.append(
                {
                    "id": str(self.snowflake()),
                    "filename": name,
                    "size": len(data),
                    "url": f"{self.base_url}/files/{key}/{name}",
                    "proxy_url": f"{self.base_url}/files/{key}/{name}",
                    "content_type": content_type,
                }
            )
        guild_id = int(channel["guild_id"]) if "guild_id" in channel else None
        message = Message(
            id=self.snowflake(),
            channel_id=channel_id,
            author=member.user(),
            content=content,
            attachments=attachment_payloads,
            guild_id=guild_id,
        )
        self.messages[message.id] = message
        payload = message.payload()
        if guild_id is not None:
            payload["member"] = self._member_payload(member)
        await self.dispatch("MESSAGE_CREATE", payload)
        return message

    async def slash(
        self,
        member: Member,
        channel_id: int,
        command: str,
        subcommand: str,
        options: dict[str, Any] | None = None,
        group: str | None = None,
    ) -> int:
        """A member runs `/command [group] subcommand option:value ...`; returns the interaction id."""
        registered = next((c for c in self.commands if c["name"] == command), None)
        if registered is None:
            raise AssertionError(f"/{command} was never synced; synced: {[c['name'] for c in self.commands]}")
        inner = []
        resolved: dict[str, Any] = {}
        for name, value in (options or {}).items():
            if isinstance(value, ChannelOption):
                channel = self.channels[value.channel_id]
                entry = {k: channel[k] for k in ("id", "name", "type", "guild_id")}
                resolved.setdefault("channels", {})[str(value.channel_id)] = {
                    **entry,
                    "permissions": str(MEMBER_PERMISSIONS),
                }
                inner.append({"name": name, "type": 7, "value": str(value.channel_id)})
            else:
                inner.append({"name": name, "type": _option_type(value), "value": value})
        sub: dict[str, Any] = {"name": subcommand, "type": 1, "options": inner}
        if group is not None:
            sub = {"name": group, "type": 2, "options": [sub]}
        data = {
            "id": registered["id"],
            "name": command,
            "type": 1,
            "options": [sub],
        }
        if resolved:
            data["resolved"] = resolved
        return await self._interact(member, channel_id, 2, data)

    async def press(self, member: Member, message: Message, custom_id: str) -> int:
        """A member clicks the button `custom_id` on `message`."""
        if custom_id not in message.custom_ids():
            raise AssertionError(f"no component {custom_id!r} on message; has {message.custom_ids()}")
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interact(member, message.channel_id, 3, data, message=message)

    async def choose(self, member: Member, message: Message, custom_id: str, values: list[str]) -> int:
        """A member picks `values` in the select menu `custom_id` on `message`."""
        if custom_id not in message.custom_ids():
            raise AssertionError(f"no component {custom_id!r} on message; has {message.custom_ids()}")
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        return await self._interact(member, message.channel_id, 3, data, message=message)

    async def _interact(
        self,
        member: Member,
        channel_id: int,
        kind: int,
        data: dict[str, Any],
        message: Message | None = None,
    ) -> int:
        interaction_id = self.snowflake()
        token = secrets.token_urlsafe(24)
        channel = self.channels[channel_id]
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": channel,
            "locale": "en-US",
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(MEMBER_PERMISSIONS),
            "entitlements": [],
            "authorizing_integration_owners": {},
        }
        if "guild_id" in channel:
            payload["guild_id"] = channel["guild_id"]
            payload["guild_locale"] = "en-US"
            payload["member"] = self._member_payload(member)
            payload["context"] = 0
        else:
            payload["user"] = member.user()
            payload["context"] = 1
        if message is not None:
            payload["message"] = message.payload()
        self.interactions[interaction_id] = {"payload": payload, "member": member, "responses": []}
        self._tokens[token] = interaction_id
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    def _member_payload(self, member: Member) -> dict[str, Any]:
        return {
            "user": member.user(),
            "roles": [],
            "joined_at": datetime.now(UTC).isoformat(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(member.permissions),
        }

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

    # -- gateway -------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"only json encoding is emulated")
            return ws
        # Frames go out as plain text; discord.py only decompresses binary frames.
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            packet = json.loads(msg.data)
            op = packet.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                self.identified_count += 1
                self._ws = ws
                self._seq = 0
                await self._send_ready(ws)
            elif op == 6:
                self._ws = ws
                self._seq += 1
                await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": self._seq, "d": {}}))
                self.connected.set()
        if self._ws is ws:
            self._ws = None
            self.connected.clear()
        return ws

    async def _send_ready(self, ws: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.guilds],
            "session_id": secrets.token_hex(16),
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        self._seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": ready}))
        for guild in self.guilds.values():
            self._seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": guild}))
        self.connected.set()

    # -- REST ----------------------------------------------------------------------

    async def _serve_file(self, request: web.Request) -> web.Response:
        data = self._uploads.get(request.match_info["key"])
        if data is None:
            raise web.HTTPNotFound
        content_type = mimetypes.guess_type(request.match_info["name"])[0] or "application/octet-stream"
        return web.Response(body=data, content_type=content_type)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        body: Any = None
        files: dict[str, bytes] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files[part.filename or part.name or "file"] = bytes(await part.read())
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        path = "/" + request.match_info["tail"]
        call = Call(request.method, path, dict(request.query), body, files)
        self.calls.append(call)
        status, payload = self._route(call)
        call.status = status
        if status == 204:
            return web.Response(status=204)
        # Discord sends exactly "application/json"; discord.py compares the header verbatim.
        return web.Response(
            body=json.dumps(payload).encode(), status=status, headers={"Content-Type": "application/json"}
        )

    def _route(self, call: Call) -> tuple[int, Any]:
        parts = call.path.strip("/").split("/")
        method = call.method
        app = str(self.application_id)
        match (method, parts):
            case ("GET", ["users", "@me"]):
                return 200, self.bot_user
            case ("GET", ["oauth2", "applications", "@me"]):
                return 200, self._application()
            case ("GET", ["gateway"]):
                return 200, {"url": self.gateway_url}
            case ("GET", ["gateway", "bot"]):
                limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
                return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}
            case ("PUT", ["applications", a, "commands"]) if a == app:
                self.commands = [{**c, "id": str(self.snowflake()), "application_id": app} for c in call.body]
                return 200, self.commands
            case ("GET", ["applications", a, "commands"]) if a == app:
                return 200, self.commands
            case ("POST", ["users", "@me", "channels"]):
                return self._open_dm(int(call.body["recipient_id"]))
            case ("POST", ["channels", channel_id, "messages"]):
                return self._create_message(int(channel_id), call)
            case ("PATCH", ["channels", channel_id, "messages", message_id]):
                return self._edit_message(int(message_id), call)
            case ("GET", ["channels", channel_id]) if int(channel_id) in self.channels:
                return 200, self.channels[int(channel_id)]
            case ("POST", ["channels", _channel_id, "typing"]):
                return 204, None
            case ("POST", ["interactions", interaction_id, token, "callback"]):
                return self._callback(int(interaction_id), token, call)
            case ("POST", ["webhooks", a, token]) if a == app:
                return self._followup(token, call)
            case ("PATCH", ["webhooks", a, token, "messages", message_id]) if a == app:
                return self._edit_webhook_message(token, message_id, call)
            case ("GET", ["webhooks", a, token, "messages", message_id]) if a == app:
                message = self._webhook_message(token, message_id)
                return (200, message.payload()) if message else (404, _error(10008, "Unknown Message"))
        log.warning("emulator: unhandled %s %s", method, call.path)
        return 404, _error(0, f"emulator does not implement {method} {call.path}")

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": "Headshot Studio",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": {**self.bot_user, "bot": False, "id": str(self.snowflake()), "username": "owner"},
            "verify_key": "00",
            "flags": 0,
            "team": None,
            "summary": "",
            "interactions_endpoint_url": None,
        }

    def _open_dm(self, user_id: int) -> tuple[int, Any]:
        member = self.members.get(user_id)
        if member is None:
            return 404, _error(10013, "Unknown User")
        existing = self.dm_channel_id(member)
        if existing is not None:
            return 200, self.channels[existing]
        channel_id = self.snowflake()
        self.channels[channel_id] = {
            "id": str(channel_id),
            "type": 1,
            "recipients": [member.user()],
            "last_message_id": None,
        }
        return 200, self.channels[channel_id]

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
        )
        self.messages[message.id] = message
        return message

    def _create_message(self, channel_id: int, call: Call) -> tuple[int, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            return 404, _error(10003, "Unknown Channel")
        if channel["type"] == 1:
            member = self.members[int(channel["recipients"][0]["id"])]
            if not member.dms_open:
                return 403, _error(50007, "Cannot send messages to this user")
        return 200, self._new_bot_message(channel_id, call).payload()

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

    def _edit_message(self, message_id: int, call: Call) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message.author["id"] != str(self.application_id):
            return 404, _error(10008, "Unknown Message")
        self._apply_edit(message, call)
        return 200, message.payload()

    def _callback(self, interaction_id: int, token: str, call: Call) -> tuple[int, Any]:
        record = self.interactions.get(interaction_id)
        if record is None or self._tokens.get(token) != interaction_id:
            return 404, _error(10062, "Unknown interaction")
        if record["responses"]:
            return 400, _error(40060, "Interaction has already been acknowledged.")
        kind = int(call.body["type"])
        data = call.body.get("data") or {}
        record["responses"].append({"type": kind, "data": data})
        channel_id = int(record["payload"]["channel_id"])
        response_message: Message | None = None
        if kind in (4, 5):  # message now, or "thinking" to be edited later
            inner = Call(call.method, call.path, call.query, data, call.files)
            response_message = self._new_bot_message(channel_id, inner, interaction_id)
            record["original"] = response_message.id
            record["loading"] = kind == 5
        elif kind == 7 and "message" in record["payload"]:  # update the component's message
            target = self.messages[int(record["payload"]["message"]["id"])]
            self._apply_edit(target, Call(call.method, call.path, call.query, data, call.files))
            response_message = target
        elif kind == 6 and "message" in record["payload"]:
            record["original"] = int(record["payload"]["message"]["id"])
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction_id),
                "type": record["payload"]["type"],
                "response_message_id": str(response_message.id) if response_message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
            },
            "resource": {"type": kind},
        }
        if response_message is not None:
            result["resource"]["message"] = response_message.payload()
        return 200, result

    def _followup(self, token: str, call: Call) -> tuple[int, Any]:
        interaction_id = self._tokens.get(token)
        if interaction_id is None:
            return 404, _error(10015, "Unknown Webhook")
        record = self.interactions[interaction_id]
        if not record["responses"]:
            return 404, _error(10015, "Unknown Webhook")  # Discord: follow-ups need a response first
        if record.pop("loading", False):  # the first follow-up replaces the "thinking…" message
            original = self.messages[record["original"]]
            self._apply_edit(original, call)
            original.flags |= int((call.body or {}).get("flags") or 0)
            return 200, original.payload()
        channel_id = int(record["payload"]["channel_id"])
        message = self._new_bot_message(channel_id, call, interaction_id)
        return 200, message.payload()

    def _webhook_message(self, token: str, message_id: str) -> Message | None:
        interaction_id = self._tokens.get(token)
        if interaction_id is None:
            return None
        record = self.interactions[interaction_id]
        wanted = record.get("original") if message_id == "@original" else int(message_id)
        return self.messages.get(wanted) if wanted is not None else None

    def _edit_webhook_message(self, token: str, message_id: str, call: Call) -> tuple[int, Any]:
        message = self._webhook_message(token, message_id)
        if message is None:
            return 404, _error(10008, "Unknown Message")
        self._apply_edit(message, call)
        return 200, message.payload()


def _option_type(value: object) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    return 3


def _error(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}
