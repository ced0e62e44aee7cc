"""A community server's rules, applied by the dialogue: channels, the daily quota, the styles
offered, and whether (and where) members may post a result.

Adapters whose chats belong to servers (Discord) ask here before they act: "may the bot
answer in this channel", "open this member's private session from this server", "share this
result". The conversation asks here itself when it draws the style picker and before it
places an order; the courier when it draws an album (the share button). Every database call
runs in a thread, so no adapter's event loop waits on one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from conversations.i18n.translate import tr
from conversations.servers import messages as server_msg
from conversations.servers.settings import (
    ServerSettings,
    describe,
    link_chat,
    load_server_settings,
    offered_styles,
    quota_refusal,
    server_of_chat,
    update_server_settings,
)
from conversations.servers.share import shared_result
from conversations.shared import sessions
from conversations.shared.callbacks import Action, CallbackError, CallbackSigner
from conversations.shared.events import ChatRef
from conversations.shared.keyboards import ButtonMaker
from conversations.shared.replies import Reply, Text
from engine.styles import StyleTemplate
from storage.database import Database
from storage.models import Job, User
from storage.photos import PhotoStore
from storage.shared_posts import PostRef, posts_of, record_post

__all__ = ["PostRef", "PostRemover", "ServerPolicy", "SharePost"]

log = logging.getLogger(__name__)

PostRemover = Callable[[PostRef], Awaitable[None]]
"""Takes one public post down on its platform (a post already gone counts as taken down)."""


@dataclass(frozen=True)
class SharePost:
    """What to post where: the member's result #`rank`, in the server's share channel."""

    server_id: str
    channel_id: str
    image: bytes
    style: str
    rank: int


class ServerPolicy:
    def __init__(self, db: Database, store: PhotoStore, signer: CallbackSigner, default_quota: int) -> None:
        self.db = db
        self.store = store
        self.signer = signer
        self.default_quota = default_quota
        self._removers: dict[str, PostRemover] = {}

    def _of_chat(self, platform: str, chat_id: str) -> tuple[str, ServerSettings] | None:
        server_id = server_of_chat(self.db, platform, chat_id)
        if server_id is None:
            return None
        return server_id, load_server_settings(self.db, platform, server_id)

    async def settings(self, platform: str, server_id: str) -> ServerSettings:
        return await asyncio.to_thread(load_server_settings, self.db, platform, server_id)

    async def update(self, platform: str, server_id: str, **changes: Any) -> ServerSettings:
        return await asyncio.to_thread(update_server_settings, self.db, platform, server_id, **changes)

    def describe(self, server: ServerSettings, channel_name: Callable[[str], str]) -> str:
        return describe(server, self.default_quota, channel_name)

    async def channel_refusal(self, platform: str, server_id: str, channel_id: str) -> str | None:
        """Why the bot does not answer in this server channel (None: it does)."""
        server = await self.settings(platform, server_id)
        if server.allows_channel(channel_id):
            return None
        return tr(server_msg.CHANNEL_NOT_ALLOWED).format(
            channels=", ".join(f"<#{c}>" for c in server.channels)
        )

    async def open_from_server(self, chat: ChatRef, server_id: str) -> str | None:
        """The member opens their private session from `server_id`: its rules apply there from
        now on. Returns the refusal if the server's quota is used up today (None: go ahead)."""
        await asyncio.to_thread(link_chat, self.db, chat.platform, chat.chat_id, server_id)
        return await self.order_refusal(chat)

    async def order_refusal(self, chat: ChatRef) -> str | None:
        """Why the member's server refuses another order today (None: go ahead, or no server)."""
        return await asyncio.to_thread(self._order_refusal, chat)

    def _order_refusal(self, chat: ChatRef) -> str | None:
        found = self._of_chat(chat.platform, chat.chat_id)
        if found is None:
            return None
        return quota_refusal(self.db, chat.platform, chat.user_id, found[1], self.default_quota)

    async def offered_styles(self, chat: ChatRef, styles: Sequence[StyleTemplate]) -> list[StyleTemplate]:
        """The styles the picker offers in this chat, in the server's order."""
        found = await asyncio.to_thread(self._of_chat, chat.platform, chat.chat_id)
        server = found[1] if found is not None else ServerSettings()
        return offered_styles(server, styles)

    def album(self, job: Job, user: User, _count: int, replies: list[Reply]) -> list[Reply]:
        """A `Courier.album_hooks` hook (blocking): the share button under a member's album when
        their server allows public posts."""
        if job.team_id is not None or not replies:
            return replies
        found = self._of_chat(user.platform, job.chat_id)
        if found is None or not (found[1].public_results and found[1].share_channel):
            return replies
        last = replies[-1]
        if not isinstance(last, Text) or not last.buttons:
            return replies
        make = ButtonMaker(self.signer, user.platform, user.platform_user_id, job.session_id or 0)
        share = (make(tr(server_msg.SHARE_BUTTON), Action.SHARE_AVATAR, "1"),)
        return [*replies[:-1], Text(last.text, (*last.buttons, share))]

    async def share(self, chat: ChatRef, data: str) -> SharePost | str:
        """The post a "share" button asks for, or the sentence refusing it."""
        try:
            callback = self.signer.verify(chat.platform, chat.user_id, data)
        except CallbackError:
            return tr(server_msg.SHARE_NOTHING)
        if callback.action != Action.SHARE_AVATAR:
            return tr(server_msg.SHARE_NOTHING)
        return await asyncio.to_thread(self._share, chat, callback.session_id, callback.arg)

    def _share(self, chat: ChatRef, session_id: int, arg: str) -> SharePost | str:
        found = self._of_chat(chat.platform, chat.chat_id)
        if found is None or not (found[1].public_results and found[1].share_channel):
            return tr(server_msg.SHARE_NOT_ALLOWED)
        server_id, server = found
        rank = int(arg) if arg.isdigit() else 1
        result = shared_result(
            self.db,
            self.store,
            platform=chat.platform,
            user_id=chat.user_id,
            session_id=session_id,
            rank=rank,
        )
        if result is None or server.share_channel is None:
            return tr(server_msg.SHARE_NOTHING)
        return SharePost(server_id, server.share_channel, result.image, result.style, rank)

    # -- public posts, and taking them down on /delete ------------------------------------

    def remove_posts_with(self, platform: str, remover: PostRemover) -> None:
        """The adapter that posts shares registers how it takes them down (at its start-up)."""
        self._removers[platform] = remover

    async def share_posted(self, chat: ChatRef, channel_id: str, message_id: str) -> None:
        """Remember the post a share button made, so /delete can remove it."""
        await asyncio.to_thread(self._record_post, chat, PostRef(chat.platform, channel_id, message_id))

    def _record_post(self, chat: ChatRef, post: PostRef) -> None:
        owner = sessions.find_user(self.db, chat.platform, chat.user_id)
        if owner is not None and owner.id is not None:
            record_post(self.db, owner.id, post)

    async def take_down_posts(self, user: User) -> int:
        """Remove the user's public posts before their data goes; returns how many are gone.

        A post that cannot be removed (the bot lost its permission, the platform is down) is
        logged and left: the erasure itself must not wait on a server's settings.
        """
        assert user.id is not None
        removed = 0
        for post in await asyncio.to_thread(posts_of, self.db, user.id):
            remover = self._removers.get(post.platform)
            if remover is None:
                log.warning("no %s adapter here to remove post %s", post.platform, post.message_id)
                continue
            try:
                await remover(post)
            except Exception:
                log.warning("could not remove %s post %s", post.platform, post.message_id, exc_info=True)
                continue
            removed += 1
        return removed
