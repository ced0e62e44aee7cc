"""The REST side: the routes discord.py calls, each recorded and answered like Discord does."""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from typing import Any

from aiohttp import BodyPartReader, web

from tests.emulators.discord import limits
from tests.emulators.discord.payloads import EPHEMERAL, Call, Member, Message, error
from tests.emulators.discord.state import EmulatorState

log = logging.getLogger(__name__)


class RestSide(EmulatorState):
    """Routes under `/api/v10`; uploaded and attached files under `/files`."""

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
        # Discord's API answers through Google's front end (`Via: 1.1 google`); discord.py reads a
        # 429 without `Via` as a Cloudflare ban and raises instead of waiting `retry_after`.
        headers: dict[str, str] = {"Content-Type": "application/json", "Via": "1.1 google"}
        if not path.startswith("/interactions/"):  # callbacks are not rate limited (Rate Limits)
            limit_headers, retry_after = self.rate_limits.take(
                f"{request.method} {path}", asyncio.get_running_loop().time()
            )
            headers.update(limit_headers)
            if retry_after is not None:
                call.status = 429
                refusal = {"message": "You are being rate limited.", "retry_after": retry_after}
                return web.Response(
                    body=json.dumps({**refusal, "global": False}).encode(), status=429, headers=headers
                )
        if limits.too_large(files):
            call.status = 413
            return web.Response(
                body=json.dumps(error(40005, "Request entity too large")).encode(),
                status=413,
                headers=headers,
            )
        problem = limits.invalid_message(body if isinstance(body, dict) else None, files)
        if problem is None and isinstance(body, dict) and isinstance(body.get("data"), dict):
            problem = limits.invalid_message(body["data"], files)  # an interaction callback's message
        if problem is not None:
            call.status = 400
            log.warning("emulator: refused %s %s: %s", request.method, path, problem)
            return web.Response(
                body=json.dumps(error(50035, f"Invalid Form Body: {problem}")).encode(),
                status=400,
                headers=headers,
            )
        status, payload = self._route(call)
        call.status = status
        if status == 204:
            return web.Response(status=204, headers={k: v for k, v in headers.items() if k != "Content-Type"})
        # Discord sends exactly "application/json"; discord.py compares the header verbatim.
        return web.Response(body=json.dumps(payload).encode(), status=status, headers=headers)

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
                problem = limits.invalid_commands(call.body)
                if problem is not None:
                    return 400, error(50035, f"Invalid Form Body: {problem}")
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
            case ("DELETE", ["channels", channel_id, "messages", message_id]):
                return self._delete_message(int(channel_id), int(message_id))
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
                return (200, message.payload()) if message else (404, error(10008, "Unknown Message"))
        log.warning("emulator: unhandled %s %s", method, call.path)
        return 404, error(0, f"emulator does not implement {method} {call.path}")

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

    def open_dm(self, member: Member) -> int:
        """The member's DM channel with the bot, opened now if needed (as the bot's create_dm does)."""
        _status, channel = self._open_dm(member.id)
        return int(channel["id"])

    def _open_dm(self, user_id: int) -> tuple[int, Any]:
        member = self.members.get(user_id)
        if member is None:
            return 404, error(10013, "Unknown User")
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

    def _create_message(self, channel_id: int, call: Call) -> tuple[int, Any]:
        channel = self.channels.get(channel_id)
        if channel is None:
            return 404, error(10003, "Unknown Channel")
        if channel["type"] == 1:
            member = self.members[int(channel["recipients"][0]["id"])]
            if not member.dms_open:
                return 403, error(50007, "Cannot send messages to this user")
        return 200, self._new_bot_message(channel_id, call).payload()

    def _edit_message(self, message_id: int, call: Call) -> tuple[int, Any]:
        message = self.messages.get(message_id)
        if message is None or message.author["id"] != str(self.application_id):
            return 404, error(10008, "Unknown Message")
        self._apply_edit(message, call)
        return 200, message.payload()

    def _delete_message(self, channel_id: int, message_id: int) -> tuple[int, Any]:
        """DELETE /channels/{channel.id}/messages/{message.id}: 204. Discord: "If operating on a
        guild channel and trying to delete a message that was not sent by the current user, this
        endpoint requires the MANAGE_MESSAGES permission" (the emulated bot has none: 403 50013)."""
        message = self.messages.get(message_id)
        if message is None or message.channel_id != channel_id:
            return 404, error(10008, "Unknown Message")
        if message.author["id"] != str(self.application_id):
            return 403, error(50013, "Missing Permissions")
        del self.messages[message_id]
        self.deleted.append(message_id)
        return 204, None

    def _callback(self, interaction_id: int, token: str, call: Call) -> tuple[int, Any]:
        record = self.interactions.get(interaction_id)
        if record is None or self._tokens.get(token) != interaction_id:
            return 404, error(10062, "Unknown interaction")
        if record["responses"]:
            return 400, error(40060, "Interaction has already been acknowledged.")
        if asyncio.get_running_loop().time() - record["created"] > self.ack_window_s:
            self.late_acks.append(interaction_id)
            return 404, error(10062, "Unknown interaction")  # Discord's answer after 3 s
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
            return 404, error(10015, "Unknown Webhook")
        record = self.interactions[interaction_id]
        # Receiving and Responding: "Interaction tokens are valid for 15 minutes".
        if asyncio.get_running_loop().time() - record["created"] > self.token_window_s:
            return 401, error(50027, "Invalid Webhook Token")
        if not record["responses"]:
            return 404, error(10015, "Unknown Webhook")  # Discord: follow-ups need a response first
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
            return 404, error(10008, "Unknown Message")
        self._apply_edit(message, call)
        return 200, message.payload()
