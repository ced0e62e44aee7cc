"""The web studio: the third chat adapter, an aiohttp server on the adapter interface.

The page (`static/studio.js`) is a chat with the bot: it uploads each picked or dropped
photo as one request (so a verdict comes back for each as it arrives), posts button presses
and typed commands, and long-polls `/api/messages` for what the bot says (`transcript`).
Everything else is `handlers.platform.PlatformDriver`'s and the conversation's, exactly as
for Telegram and Discord. Album pages and the team dashboard are `albums` and `teams`;
who may see what is `security`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from aiohttp import web
from sqlmodel import col, select

from conversations.dialogue import Conversation
from conversations.i18n.translate import N_, tr
from conversations.shared import messages as msg
from conversations.shared import sessions
from conversations.shared.events import (
    ButtonPressed,
    ChatRef,
    Command,
    Event,
    PhotoReceived,
    TextReceived,
    UnsupportedInput,
)
from conversations.shared.platform import PlatformLimits
from conversations.shared.replies import Reply, Text
from handlers.platform import PlatformDriver
from handlers.web.albums import AlbumPages
from handlers.web.config import WebConfig
from handlers.web.language import browser_locale, language_middleware
from handlers.web.links import PLATFORM, WebLinks, new_web_user
from handlers.web.pages import TITLE, message_page, sign_in_page, studio_page
from handlers.web.security import CSRF_HEADER, Gate
from handlers.web.teams import TeamDashboard
from handlers.web.transcript import FileBudget, WebChat, WebOutput
from storage.models import Job, JobState, User

log = logging.getLogger(__name__)

STATIC: Final = Path(__file__).with_name("static")
POLL_WAIT_S: Final = 20.0
DEFAULT_PORT: Final = 8080
ALBUM_LINKS: Final = 5
"""Finished albums a fresh page links to."""
SIGN_IN_NEEDED: Final = N_("Open the sign-in link the studio printed at start-up, or send /web to the bot.")
SIGN_IN_ASK: Final = N_("Sign in to Headshot Studio in this browser? The link works once.")
SIGN_IN_SWITCH: Final = N_(
    "This browser is signed in already: signing in with this link switches it to the link's account."
)
SIGN_IN_BUTTON: Final = N_("Sign in")
UNSUPPORTED_TYPES: Final = {"video": "video", "audio": "audio"}
ANIMATIONS: Final = frozenset({"image/gif"})
MAX_PARALLEL_UPLOADS: Final = 4


def unsupported_kind(content_type: str) -> str | None:
    """What a browser's upload is when it is not a photo (None: try it as one)."""
    major = content_type.split("/", 1)[0]
    if content_type in ANIMATIONS:
        return "animation"
    if major in UNSUPPORTED_TYPES:
        return UNSUPPORTED_TYPES[major]
    if content_type and major != "image" and content_type != "application/octet-stream":
        return "file"
    return None


async def json_object(request: web.Request) -> dict[str, object]:
    """The request's JSON object, or 400 (a broken body is the sender's fault, not a 500)."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(text="expected a JSON object") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


class WebStudio:
    """Owns the aiohttp application, the web chats and the courier loop."""

    def __init__(self, settings: WebConfig, conversation: Conversation, links: WebLinks) -> None:
        self.settings = settings
        self.conversation = conversation
        self.links = links
        self.limits = PlatformLimits(
            PLATFORM,
            max_upload_bytes=settings.max_upload_bytes,
            max_text=100_000,
            media_group=100,
            styles_per_picker=25,
            notices=True,
        )
        self.driver = PlatformDriver(conversation, self)
        self.gate = Gate(links, host=settings.web_host, public_url=settings.public_url)
        links.on_forget(self._forget)
        self.chats: dict[str, WebChat] = {}
        self.uploading: dict[str, int] = {}
        """Uploads each web user has open now."""
        self.file_budget = FileBudget()
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._courier: asyncio.Task[None] | None = None
        self.address = ""
        """Where the server answers once started (http://host:port)."""

    # -- the adapter interface -------------------------------------------------------------

    def chat(self, chat_id: str) -> WebChat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = WebChat(chat_id, budget=self.file_budget)
        return chat

    def output(self, chat_id: str) -> WebOutput:
        return WebOutput(self.chat(chat_id))

    async def _forget(self, web_user: str) -> None:
        """/delete: what the page kept (the bot's messages, headshots, exports) goes too."""
        chat = self.chats.get(web_user)
        if chat is not None:
            await chat.forget()

    def refused_for_good(self, error: BaseException) -> str | None:
        del error
        return None  # a web chat is always there to draw into

    # -- running -----------------------------------------------------------------------------

    async def start(self) -> str:
        """Bind and serve; the address it answers at."""
        port = self.settings.web_port if self.settings.web_port is not None else DEFAULT_PORT
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.web_host, port)
        await site.start()
        bound = self._runner.addresses[0]
        host = self.settings.web_host if ":" not in self.settings.web_host else f"[{self.settings.web_host}]"
        self.address = f"http://{host}:{bound[1]}"
        if not self.links.base_url:
            self.links.base_url = self.address
        self._courier = asyncio.create_task(self.driver.run_courier(self.settings.web_courier_interval_s))
        log.info("web studio on %s", self.address)
        return self.address

    async def stop(self) -> None:
        if self._courier is not None:
            self._courier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._courier
        for chat in self.chats.values():
            await chat.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _build_app(self) -> web.Application:
        limit = self.limits.max_upload_bytes  # a photo is the largest body: the chats' limit
        app = web.Application(middlewares=[language_middleware, self.gate.middleware], client_max_size=limit)
        app.router.add_get("/", self.index)
        app.router.add_get("/signin", self.sign_in_page)
        app.router.add_post("/signin", self.sign_in)
        app.router.add_static("/static", STATIC, show_index=False, follow_symlinks=False)
        app.router.add_get("/api/messages", self.messages)
        app.router.add_post("/api/photo", self.photo)
        app.router.add_post("/api/button", self.button)
        app.router.add_post("/api/text", self.text)
        app.router.add_get("/files/{file_id}/{name}", self.file)
        AlbumPages(self.conversation.services, self.links, self.gate).wire(app)
        TeamDashboard(self.conversation, self.links).wire(app)
        return app

    # -- pages -----------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        user = self.gate.web_user(request)
        fresh = user is None
        if user is None:
            if not self.gate.open:
                return web.Response(
                    text=message_page(TITLE, tr(SIGN_IN_NEEDED)), content_type="text/html", status=401
                )
            user = new_web_user()
        response = web.Response(text=studio_page(self.links.signer.csrf(user)), content_type="text/html")
        if fresh:
            self.gate.sign_in(response, user)
        return response

    @staticmethod
    def _refused_sign_in() -> web.Response:
        page = message_page(TITLE, tr(SIGN_IN_NEEDED))
        return web.Response(text=page, content_type="text/html", status=403)

    async def sign_in_page(self, request: web.Request) -> web.StreamResponse:
        """What a sign-in link opens: a question and a button, never a cookie. The token is
        in the fragment (the server never sees it); a `?t=` link is checked here."""
        token = request.query.get("t", "")
        current = self.gate.web_user(request)
        user = self.links.signed_in_as(token, current) if token else current
        if token and user is None:
            return self._refused_sign_in()
        words = SIGN_IN_SWITCH if current is not None and current != user else SIGN_IN_ASK
        body = sign_in_page(TITLE, tr(words), tr(SIGN_IN_BUTTON), token)
        # Its form's POST then says where it comes from (`no-referrer` would make it `null`).
        return web.Response(text=body, content_type="text/html", headers={"Referrer-Policy": "same-origin"})

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        """The sign-in page's button: from this studio's own page only (a form on another
        site cannot sign a browser into the attacker's account), and a link works once."""
        if not self.gate.same_origin(request):
            return self._refused_sign_in()
        form = await request.post()
        user = self.links.redeem(str(form.get("t", "")), self.gate.web_user(request))
        if user is None:
            return self._refused_sign_in()
        response = web.HTTPSeeOther("/")
        self.gate.sign_in(response, user)
        raise response

    # -- the chat API ------------------------------------------------------------------------

    def _user(self, request: web.Request, *, post: bool) -> str:
        user = self.gate.web_user(request)
        if user is None:
            raise web.HTTPUnauthorized(text=tr(SIGN_IN_NEEDED))
        if post and not self.gate.csrf_ok(user, request.headers.get(CSRF_HEADER, "")):
            raise web.HTTPForbidden(text="missing or wrong CSRF token")
        return user

    def _ok(self, request: web.Request, user: str, *, ok: bool = True) -> web.StreamResponse:
        """The answer to a chat API POST. When the request was the user's /delete, every
        cookie of theirs was revoked: this browser, the one that asked, gets a fresh one."""
        response = web.json_response({"ok": ok})
        if self.gate.web_user(request) is None:
            self.gate.sign_in(response, user)
        return response

    @staticmethod
    def _ref(user: str) -> ChatRef:
        """The web user as the conversation sees them, with the browser's language."""
        return ChatRef(PLATFORM, user, user, locale=browser_locale(), private_chat_id=user)

    async def _answer(self, user: str, event: Event) -> None:
        chat = self._ref(user)
        await self.driver.answer(chat, self.conversation.handle(chat, event), self.output(user))

    async def _draw(self, user: str, replies: list[Reply]) -> None:
        await self.driver.answer(self._ref(user), replies, self.output(user))

    async def messages(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request, post=False)
        chat = self.chat(user)
        if not chat.greeted:
            chat.greeted = True
            await self._answer(user, Command(await self._greeting(user)))
            await self._draw(user, await asyncio.to_thread(self._albums, user))
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            since = 0
        version, messages = await chat.since(since, POLL_WAIT_S)
        return web.json_response({"version": version, "messages": messages})

    def _albums(self, user: str) -> list[Reply]:
        """The user's finished albums as links to their pages, newest first: a fresh page (a
        new device, or after a restart emptied the transcript) still reaches them."""
        with self.conversation.db.session() as session:
            jobs = session.exec(
                select(Job.id)
                .join(User, col(User.id) == col(Job.user_id))
                .where(User.platform == PLATFORM, User.platform_user_id == user, Job.state == JobState.DONE)
                .order_by(col(Job.created_at).desc())
                .limit(ALBUM_LINKS)
            ).all()
        return [Text(tr(msg.ALBUM_PAGE).format(url=f"/album/{job_id}")) for job_id in jobs]

    async def _greeting(self, user: str) -> str:
        """A fresh page says hello, or where the user is (after a restart emptied it)."""
        db = self.conversation.db
        row = await asyncio.to_thread(sessions.find_user, db, PLATFORM, user)
        if row is None or row.id is None:
            return "start"
        current = await asyncio.to_thread(sessions.current_session, db, row.id)
        return "start" if current is None else "status"

    async def photo(self, request: web.Request) -> web.StreamResponse:
        """One photo. The page sends them one at a time; a user may hold at most
        `MAX_PARALLEL_UPLOADS` open (each may take the upload limit in memory)."""
        user = self._user(request, post=True)
        if self.uploading.get(user, 0) >= MAX_PARALLEL_UPLOADS:
            raise web.HTTPTooManyRequests(text="one photo at a time, please")
        self.uploading[user] = self.uploading.get(user, 0) + 1
        try:
            return await self._photo(request, user)
        finally:
            self.uploading[user] -= 1
            if not self.uploading[user]:
                del self.uploading[user]

    async def _photo(self, request: web.Request, user: str) -> web.StreamResponse:
        limit = self.limits.max_upload_bytes
        name = unquote(request.headers.get("X-File-Name", "photo.jpg"))[:128] or "photo.jpg"
        kind = unsupported_kind(request.content_type)
        size = request.content_length
        if size is not None and size > limit:
            await self._answer(user, UnsupportedInput("too_large", size, limit))
        elif kind is not None:
            await self._answer(user, UnsupportedInput(kind))
        else:
            try:
                data = await request.read()
            except web.HTTPRequestEntityTooLarge:
                await self._answer(user, UnsupportedInput("too_large", None, limit))
                return self._ok(request, user, ok=False)
            chat = self._ref(user)
            if not data:
                await self._draw(user, [self.conversation.unreadable_reply()])
            else:
                replies = self.conversation.photos(chat, [PhotoReceived(data, name)])
                await self.driver.answer(chat, replies, self.output(user))
        return self._ok(request, user)

    async def button(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request, post=True)
        body = await json_object(request)
        await self._answer(user, ButtonPressed(str(body.get("data", ""))[:256]))
        return self._ok(request, user)

    async def text(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request, post=True)
        body = await json_object(request)
        text = str(body.get("text", "")).strip()[:4096]
        if text.startswith("/"):
            words = text[1:].split()
            event: Event = Command(words[0] if words else "", tuple(words[1:]))
        else:
            event = TextReceived(text)
        await self._answer(user, event)
        return self._ok(request, user)

    async def file(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request, post=False)
        chat = self.chats.get(user)
        stored = chat.files.get(request.match_info["file_id"]) if chat is not None else None
        if stored is None:
            raise web.HTTPNotFound
        headers = {}
        if stored.download:
            headers["Content-Disposition"] = f'attachment; filename="{stored.filename}"'
        return web.Response(body=stored.data, content_type=stored.content_type, headers=headers)
