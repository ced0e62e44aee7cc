"""The gateway side: HELLO, IDENTIFY, READY, heartbeats, and the events members cause."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from tests.emulators.discord.payloads import MEMBER_PERMISSIONS, ChannelOption, Member, Message, option_type
from tests.emulators.discord.state import EmulatorState


class GatewaySide(EmulatorState):
    """What members do (slash commands, presses, messages) arrives at the bot as gateway events."""

    # -- what members do -----------------------------------------------------------

    def shard_of(self, guild_id: int | None, shard_count: int | None = None) -> int:
        """Sharding: "shard_id = (guild_id >> 22) % num_shards"; "DMs will only be sent to
        shard 0" (Discord's gateway documentation). The bot's count unless one is given."""
        count = self.shard_count if shard_count is None else shard_count
        return 0 if guild_id is None else (guild_id >> 22) % count

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send `event` on the connection of the shard its guild belongs to."""
        guild = data.get("guild_id")
        shard = self.shard_of(int(guild) if guild is not None else None)
        await self.wait_for(lambda: shard in self._shards, 10, f"shard {shard} connected")
        self._seq += 1
        await self._shards[shard].send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

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
                inner.append({"name": name, "type": option_type(value), "value": value})
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
        payload = self.open_interaction(member, channel_id, kind, data, message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return int(payload["id"])

    def open_interaction(
        self,
        member: Member,
        channel_id: int,
        kind: int,
        data: dict[str, Any],
        message: Message | None = None,
    ) -> dict[str, Any]:
        """Record an interaction as Discord creates it (id, token, timestamps), not yet sent."""
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
            "locale": member.locale,
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
        self.interactions[interaction_id] = {
            "payload": payload,
            "member": member,
            "responses": [],
            "created": asyncio.get_running_loop().time(),
        }
        self._tokens[token] = interaction_id
        return payload

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
                shard_id, self.shard_count = (packet["d"].get("shard") or (0, 1))[:2]
                self.identified_shards.append((shard_id, self.shard_count))
                self._seq = 0
                await self._send_ready(ws, shard_id)
                self._attach(shard_id, ws)  # events flow once READY and the guilds went out
            elif op == 6:
                self._attach(self._session_shards.get(packet["d"].get("session_id"), 0), ws)
                self._seq += 1
                await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": self._seq, "d": {}}))
                self.connected.set()
        for shard_id, shard_ws in list(self._shards.items()):
            if shard_ws is ws:
                del self._shards[shard_id]
        if self._ws is ws:
            self._ws = None
            self.connected.clear()
        return ws

    def _attach(self, shard_id: int, ws: web.WebSocketResponse) -> None:
        self._shards[shard_id] = ws
        if shard_id == 0:
            self._ws = ws

    async def _send_ready(self, ws: web.WebSocketResponse, shard_id: int) -> None:
        guilds = {gid: g for gid, g in self.guilds.items() if self.shard_of(gid) == shard_id}
        session_id = secrets.token_hex(16)
        self._session_shards[session_id] = shard_id
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(gid), "unavailable": True} for gid in guilds],
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        self._seq += 1
        if self.shard_count > 1:
            ready["shard"] = [shard_id, self.shard_count]
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": ready}))
        for guild in guilds.values():
            self._seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": guild}))
        self.connected.set()
