"""A local emulator of the Telegram Bot API, for driving the real PTB `Application` in tests.

It serves `getUpdates` (long polling) with the updates a test scripts through `EmulatedUser`,
records every other call (`sendMessage`, `sendPhoto`, `sendMediaGroup`, `sendDocument`,
`editMessageText`, `answerCallbackQuery`, `deleteMessage`, ...) with its parameters and
uploaded files, and serves `getFile` plus file downloads for the files a test registered
(the real photos in `../shared/faces/`). Once the bot called `setWebhook`, scripted updates
are POSTed to that URL with its secret instead, as Telegram does. It speaks the wire format
PTB uses: form fields with JSON-encoded objects, multipart uploads with `attach://` references.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

from tests.emulators import telegram_limits as limits

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Headshots", "username": "headshots_test_bot"}
DOWNLOAD_LIMIT = 20 * 1024 * 1024
JSON_FIELDS = {"reply_markup", "media", "allowed_updates", "commands", "entities", "caption_entities"}


@dataclass
class ApiCall:
    """One request the bot made: method, decoded parameters, uploaded files by field name."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    result: Any = None

    @property
    def chat_id(self) -> str | None:
        value = self.params.get("chat_id")
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons(self) -> list[dict[str, str]]:
        """Every inline button of the message: `{"text", "callback_data"}`."""
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button(self, label_part: str) -> dict[str, str]:
        for button in self.buttons():
            if label_part.lower() in button["text"].lower():
                return button
        msg = f"no button with {label_part!r} among {[b['text'] for b in self.buttons()]}"
        raise AssertionError(msg)


@dataclass
class StoredFile:
    data: bytes | None
    size: int
    unique_id: str


class TelegramEmulator:
    """The Bot API on 127.0.0.1; `base_url` / `base_file_url` go into PTB's builder."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[ApiCall] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._files: dict[str, StoredFile] = {}
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.delivered_update_ids: set[int] = set()
        self.admins: set[tuple[int, int]] = set()
        """(chat id, user id) pairs `getChatMember` reports as administrators."""
        self.fail_when: list[Callable[[ApiCall], bool]] = []
        """Each predicate makes the first call it matches answer 400 (a chat API hiccup), once."""
        self.failed_calls: list[ApiCall] = []
        self.refused: list[tuple[ApiCall, limits.Refusal]] = []
        """Calls Telegram would refuse (limits, flood control, blocked users), with the answer."""
        self.flood = limits.FloodControl()
        self.known_chats: set[str] = set()
        """Chats that wrote to the bot (a bot cannot start a conversation): others are 'not found'."""
        self.blocked: set[str] = set()
        """Private chats whose user blocked the bot: every send answers 403."""
        self._contents: dict[tuple[str, int], tuple[str, Any]] = {}
        self.webhook: tuple[str, str] | None = None
        """(url, secret) of the last `setWebhook`: updates are POSTed there, not queued."""

    # Server lifecycle.

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # Scripting updates.

    def user(self, user_id: int, first_name: str = "Test", language_code: str = "en") -> EmulatedUser:
        """A person in a private chat; `language_code` is their app's language (User object)."""
        return EmulatedUser(self, user_id, first_name, language_code)

    def add_file(self, data: bytes | None, *, size: int | None = None) -> tuple[str, str]:
        """Register a downloadable file; returns (file_id, file_unique_id)."""
        number = next(self._file_ids)
        file_id, unique_id = f"file-{number}", f"u{number}"
        self._files[file_id] = StoredFile(data, size if size is not None else len(data or b""), unique_id)
        return file_id, unique_id

    def block(self, user_id: int) -> None:
        """The user blocks the bot: Telegram answers every later send to them with 403."""
        self.blocked.add(str(user_id))

    def saw(self, update: dict[str, Any]) -> None:
        """Note the chats of an update Telegram sends (by polling or webhook): the bot may write there."""
        for kind in ("message", "edited_message", "my_chat_member"):
            if isinstance(update.get(kind), dict) and "chat" in update[kind]:
                self.known_chats.add(str(update[kind]["chat"]["id"]))
        query_message = (update.get("callback_query") or {}).get("message") or {}
        if "chat" in query_message:
            self.known_chats.add(str(query_message["chat"]["id"]))

    async def push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.saw(update)
        if self.webhook is not None:
            url, secret = self.webhook
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            async with aiohttp.ClientSession() as session:
                answer = await session.post(url, json={"update_id": update_id, **update}, headers=headers)
                if answer.status != 200:
                    msg = f"the webhook answered {answer.status} to update {update_id}"
                    raise AssertionError(msg)
            self.delivered_update_ids.add(update_id)
            return update_id
        async with self._new_update:
            self._updates.append({"update_id": update_id, **update})
            self._new_update.notify_all()
        return update_id

    def next_message_id(self) -> int:
        return next(self._message_ids)

    # Reading what the bot did.

    def calls_to(self, chat_id: int | str, *methods: str) -> list[ApiCall]:
        return [c for c in self.calls if c.chat_id == str(chat_id) and (not methods or c.method in methods)]

    async def wait_for(
        self, predicate: Callable[[ApiCall], bool], *, wait_s: float = 30.0, after: int = 0
    ) -> ApiCall:
        """The first call (from index `after`) matching `predicate`, waiting for it if needed."""
        deadline = time.monotonic() + wait_s
        async with self._new_call:
            while True:
                for call in self.calls[after:]:
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = [(c.method, c.chat_id, c.text[:60]) for c in self.calls[-15:]]
                    msg = f"no matching Bot API call within {wait_s} s; last calls: {recent}"
                    raise AssertionError(msg)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_call.wait(), remaining)

    async def wait_for_refusal(
        self, predicate: Callable[[ApiCall, limits.Refusal], bool], *, wait_s: float = 30.0
    ) -> ApiCall:
        """The first refused call matching `predicate` (with Telegram's answer), waiting if needed."""
        deadline = time.monotonic() + wait_s
        async with self._new_call:
            while True:
                for call, refusal in self.refused:
                    if predicate(call, refusal):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    msg = f"no matching refusal within {wait_s} s; refused: {self.refused[-10:]}"
                    raise AssertionError(msg)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_call.wait(), remaining)

    # HTTP handlers.

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params, files = await _read_params(request)
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        call = ApiCall(method, params, files)
        failing = next((p for p in self.fail_when if p(call)), None)
        if failing is not None:
            self.fail_when.remove(failing)
            self.failed_calls.append(call)
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: injected failure"}, status=400
            )
        refusal = self._refusal(call)
        if refusal is not None:
            async with self._new_call:
                self.refused.append((call, refusal))
                self._new_call.notify_all()
            return _error_response(*refusal)
        result, error = self._answer(call)
        call.result = result
        async with self._new_call:
            self.calls.append(call)
            self._new_call.notify_all()
        if error is not None:
            return web.json_response({"ok": False, "error_code": 400, "description": error}, status=400)
        return web.json_response({"ok": True, "result": result})

    def _refusal(self, call: ApiCall) -> limits.Refusal | None:
        """What Telegram would answer instead of doing `call`, in the order it checks."""
        method, params, chat = call.method, call.params, call.chat_id
        changes_chat = method in limits.SENDING_METHODS or method.startswith("editMessage")
        if changes_chat and chat is not None:
            if chat not in self.known_chats:
                return limits.CHAT_NOT_FOUND if chat.startswith("-") else limits.NOT_STARTED
            if chat in self.blocked:
                return limits.BLOCKED
        problem = (
            limits.check_text(method, params)
            or limits.check_keyboard(params)
            or limits.check_files(method, params, call.files)
            or (limits.check_commands(params) if method == "setMyCommands" else None)
        )
        if problem is not None:
            return problem
        if method.startswith("editMessage") and chat is not None:
            before = self._contents.get((chat, int(params.get("message_id") or 0)))
            if before is None:
                return 400, "Bad Request: message to edit not found"
            text = params.get("text", before[0]) if method == "editMessageText" else before[0]
            if (str(text), params.get("reply_markup")) == before:
                return limits.NOT_MODIFIED
        count = limits.message_count(method, params)
        if count and chat is not None and (retry := self.flood.admit(chat, count)) is not None:
            return 429, f"Too Many Requests: retry after {retry}"
        return None

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = Path(request.match_info["path"]).stem
        stored = self._files.get(file_id)
        if request.match_info["token"] != self.token or stored is None or stored.data is None:
            return web.Response(status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        async with self._new_update:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and (remaining := deadline - time.monotonic()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), remaining)
            batch = self._updates[:limit]
        self.delivered_update_ids.update(u["update_id"] for u in batch)
        return batch

    def _answer(self, call: ApiCall) -> tuple[Any, str | None]:
        method, params = call.method, call.params
        if method == "getMe":
            return BOT_USER, None
        if method == "getFile":
            stored = self._files.get(str(params.get("file_id")))
            if stored is None:
                return None, "Bad Request: invalid file_id"
            if stored.size > DOWNLOAD_LIMIT:
                return None, "Bad Request: file is too big"
            file_id = str(params["file_id"])
            return {
                "file_id": file_id,
                "file_unique_id": stored.unique_id,
                "file_size": stored.size,
                "file_path": f"documents/{file_id}.jpg",
            }, None
        if method == "setWebhook":
            self.webhook = (str(params["url"]), str(params.get("secret_token") or ""))
        if method == "deleteWebhook":
            self.webhook = None
        if method == "getChatMember":
            return self._chat_member(int(params["chat_id"]), int(params["user_id"])), None
        if method in {"sendMessage", "sendPhoto", "sendDocument"}:
            return self._message(params, call.files, method), None
        if method == "sendMediaGroup":
            media = params.get("media") or []
            if not 2 <= len(media) <= 10:
                return None, "Bad Request: media group must include 2-10 items"
            return [
                self._message({**params, "caption": m.get("caption")}, {}, "sendPhoto") for m in media
            ], None
        if method in {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}:
            return self._message(params, {}, method, message_id=int(params["message_id"])), None
        return True, None

    def _chat_member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        if (chat_id, user_id) not in self.admins:
            return {"status": "member", "user": user}
        rights = (
            "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
            "can_manage_video_chats", "can_restrict_members", "can_promote_members", "can_change_info",
            "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
        )  # fmt: skip
        return {"status": "administrator", "user": user, **dict.fromkeys(rights, False)}

    def _message(
        self, params: dict[str, Any], files: dict[str, bytes], method: str, *, message_id: int | None = None
    ) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": message_id if message_id is not None else self.next_message_id(),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
        }
        if params.get("text"):
            message["text"] = params["text"]
        if params.get("caption"):
            message["caption"] = params["caption"]
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        key = (str(chat_id), int(message["message_id"]))
        text = str(params.get("text") or params.get("caption") or "")
        if method == "editMessageReplyMarkup":
            text = self._contents.get(key, ("", None))[0]
        self._contents[key] = (text, params.get("reply_markup"))
        if method == "sendPhoto":
            message["photo"] = [{"file_id": "sent", "file_unique_id": "sent", "width": 1, "height": 1}]
        if method == "sendDocument":
            message["document"] = {"file_id": "sent-doc", "file_unique_id": "sent-doc"}
        return message


def _error_response(code: int, description: str) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if code == 429:  # ResponseParameters.retry_after: "the number of seconds left to wait"
        body["parameters"] = {"retry_after": int(description.rsplit(" ", 1)[-1])}
    return web.json_response(body, status=code)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Form or multipart fields, JSON-decoded where the Bot API sends objects; files apart."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body), files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField) and key in JSON_FIELDS:
            params[key] = json.loads(value.file.read())  # PTB sends some objects as JSON parts
        elif isinstance(value, web.FileField):
            files[key] = value.file.read()
            params[key] = f"attach://{key}"
        elif key in JSON_FIELDS:
            params[key] = json.loads(str(value))
        else:
            params[key] = value
    for key, value in request.query.items():
        params.setdefault(key, value)
    return params, files


class EmulatedUser:
    """A person chatting with the bot in a private chat; every method pushes one update."""

    def __init__(
        self, emulator: TelegramEmulator, user_id: int, first_name: str, language_code: str = "en"
    ) -> None:
        self.emulator = emulator
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code

    @property
    def sender(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "message_id": self.emulator.next_message_id(),
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "from": self.sender,
            **fields,
        }

    async def send_text(self, text: str) -> int:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.emulator.push({"message": self._message(**fields)})

    async def send_photo(self, data: bytes, *, media_group_id: str | None = None) -> int:
        file_id, unique = self.emulator.add_file(data)
        width, height = Image.open(io.BytesIO(data)).size
        thumb_id, thumb_unique = self.emulator.add_file(data)
        sizes = [
            {
                "file_id": thumb_id,
                "file_unique_id": thumb_unique,
                "width": 90,
                "height": 90,
                "file_size": len(data),
            },
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "width": width,
                "height": height,
                "file_size": len(data),
            },
        ]
        fields: dict[str, Any] = {"photo": sizes}
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        return await self.emulator.push({"message": self._message(**fields)})

    async def send_album(self, photos: list[bytes], group_id: str) -> list[int]:
        return [await self.send_photo(data, media_group_id=group_id) for data in photos]

    async def send_document(
        self, data: bytes | None, *, file_name: str, mime_type: str, size: int | None = None
    ) -> int:
        file_id, unique = self.emulator.add_file(data, size=size)
        document = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": size if size is not None else len(data or b""),
        }
        return await self.emulator.push({"message": self._message(document=document)})

    async def send_media(self, kind: str) -> int:
        """A video, sticker, voice note or GIF (animation), with plausible fields."""
        file_id, unique = self.emulator.add_file(b"\x00" * 16)
        base = {"file_id": file_id, "file_unique_id": unique, "file_size": 16}
        fields: dict[str, Any]
        if kind == "video":
            fields = {"video": {**base, "width": 640, "height": 480, "duration": 3}}
        elif kind == "sticker":
            sticker = {
                **base,
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
            fields = {"sticker": sticker}
        elif kind == "voice":
            fields = {"voice": {**base, "duration": 2}}
        elif kind == "animation":
            animation = {**base, "width": 320, "height": 240, "duration": 2}
            document = {**base, "file_name": "funny.gif.mp4", "mime_type": "video/mp4"}
            fields = {"animation": animation, "document": document}
        else:
            msg = f"unknown media kind {kind!r}"
            raise ValueError(msg)
        return await self.emulator.push({"message": self._message(**fields)})

    async def press(self, message: ApiCall | dict[str, Any], callback_data: str) -> int:
        """Press a button under a message the bot sent (or any data: a forged press)."""
        result = message.result if isinstance(message, ApiCall) else message
        if isinstance(result, list):
            result = result[0]
        query = {
            "id": str(self.emulator.next_message_id()),
            "from": self.sender,
            "chat_instance": f"ci-{self.id}",
            "data": callback_data,
            "message": result,
        }
        return await self.emulator.push({"callback_query": query})
