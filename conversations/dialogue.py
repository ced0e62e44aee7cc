"""The dialogue: events in, replies out, state in the database.

`Conversation` is what every chat adapter drives. Each event is handled under a per-user
lock (Telegram delivers an album as several updates, possibly at once, possibly to different
bot processes: the lock and the rate limits are `SharedState`) and each handler is
small: it reads the session, does one thing, saves the next state and yields replies. The
replies come out as an async iterator so a slow step (the preview) can say "working on it"
first. Nothing here knows Telegram or Discord; see `docs/conversation.md` for the diagram.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from conversations.courier import Courier
from conversations.i18n.translate import LOCALES, current_locale, negotiate, set_locale, spoken, tr, tr_n
from conversations.personal.actions import ActionHandler
from conversations.personal.orders import progress_text
from conversations.personal.selfies import take_photos
from conversations.servers.policy import ServerPolicy
from conversations.shared import messages as msg
from conversations.shared import sessions
from conversations.shared.advice import set_advice
from conversations.shared.callbacks import Action, CallbackError, CallbackSigner, is_team_data
from conversations.shared.coordination import local_state
from conversations.shared.delivery import Outgoing, album_link_hook
from conversations.shared.events import (
    ButtonPressed,
    ChatRef,
    Command,
    Event,
    PhotoReceived,
    TextReceived,
    UnsupportedInput,
)
from conversations.shared.guard import is_admin
from conversations.shared.keyboards import ButtonMaker, choose_style_button, delete_buttons
from conversations.shared.language import language_buttons, shown_style, user_locale
from conversations.shared.platform import PlatformLimits
from conversations.shared.ports import RateVerdict
from conversations.shared.replies import Notice, Reply, Text
from conversations.shared.services import Services
from conversations.shared.states import (
    ACCEPTS_PHOTOS,
    CHOOSING_STYLE,
    COLLECTING,
    CONFIRMING,
    DELIVERED,
    ORDER_ACTIVE,
    PREVIEWING,
)
from conversations.teams import messages as team_msg
from conversations.teams.courier import TeamCourier
from conversations.teams.orders import TeamOrders
from storage.bans import set_banned
from storage.models import SelfieSession, User
from storage.photos import PhotoStoreError, StoreFullError
from storage.teams import teams_organised_by

log = logging.getLogger(__name__)

MB = 1024 * 1024


class Conversation:
    """The platform-agnostic dialogue (see the module docstring)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.db = services.db
        self.signer = CallbackSigner(services.settings.callback_secret)
        self.platforms: dict[str, PlatformLimits] = {}
        """What each connected platform can do (`add_platform`)."""
        self.servers = ServerPolicy(services.db, services.store, self.signer, services.settings.daily_quota)
        """Community servers' rules: channels, quota, offered styles, sharing."""
        self.actions = ActionHandler(services, self.signer, self.servers, self.platforms)
        self.courier = Courier(services, self.signer)
        """Progress edits and finished albums, for the adapters' background loop."""
        self.courier.album_hooks.append(self.servers.album)
        self.teams = TeamOrders(services, self.signer, self.platforms)
        team_courier = TeamCourier(self.teams)
        self.courier.sources.append(team_courier.collect)
        self.courier.album_hooks.append(team_courier.album)
        if services.links is not None:
            self.courier.album_hooks.append(album_link_hook(services.links))
        self.shared = services.shared if services.shared is not None else local_state(services.settings)
        """Rate limits (checked before an event does any work), per-user locks, selfie numbers
        and album assembly: in Redis when several bot processes serve one token."""

    def buttons_for(self, chat: ChatRef, session_id: int) -> ButtonMaker:
        return ButtonMaker(self.signer, chat.platform, chat.user_id, session_id)

    async def handle(self, chat: ChatRef, event: Event) -> AsyncIterator[Reply]:
        """Handle one event; yields the replies in the order they should appear."""
        if isinstance(event, PhotoReceived):
            async for reply in self.photos(chat, [event]):
                yield reply
            return
        set_locale(negotiate(chat.locale))  # until the user row says better
        refusal = await self._throttled(chat)
        if refusal is not None:
            for reply in refusal:
                yield reply
            return
        async with self.shared.locks.hold(chat.platform, chat.user_id):
            user = await asyncio.to_thread(sessions.ensure_user, self.db, chat)
            set_locale(user_locale(user))
            if user.banned:
                yield Text(tr(msg.BANNED))
            elif isinstance(event, Command):
                async for reply in self._command(chat, user, event):
                    yield reply
            elif isinstance(event, ButtonPressed):
                async for reply in self._button(chat, user, event):
                    yield reply
            elif isinstance(event, TextReceived):
                yield Text(tr(msg.TEXT_NOT_PHOTO))
            elif isinstance(event, UnsupportedInput):
                yield self._unsupported(event)

    async def photos(self, chat: ChatRef, uploads: Sequence[PhotoReceived]) -> AsyncIterator[Reply]:
        """Take one or several photos sent together; answers once for the lot."""
        set_locale(negotiate(chat.locale))
        if chat.shared:
            yield Text(tr(team_msg.SELFIES_PRIVATELY))
            return
        refusal = await self._throttled(chat, cost=len(uploads))
        if refusal is not None:
            for reply in refusal:
                yield reply
            return
        async with self.shared.locks.hold(chat.platform, chat.user_id):
            user = await asyncio.to_thread(sessions.ensure_user, self.db, chat)
            set_locale(user_locale(user))
            assert user.id is not None
            if user.banned:
                yield Text(tr(msg.BANNED))
                return
            row = await asyncio.to_thread(sessions.current_session, self.db, user.id)
            if row is not None and row.state in ORDER_ACTIVE:
                yield Text(tr(msg.BUSY_WITH_ORDER))
                return
            if row is None or row.state not in ACCEPTS_PHOTOS:
                team_id = row.team_id if row is not None else None
                row = await asyncio.to_thread(
                    sessions.start_session, self.db, user.id, chat.chat_id, team_id=team_id
                )
            assert row.id is not None
            try:
                result = await take_photos(
                    self.db,
                    self.services.store,
                    self.services.engine.assessor,
                    row,
                    uploads,
                    engine_gate=self.services.engine_gate,
                    numbers=self.shared.counters,
                    max_photos=self.settings.max_selfies,
                )
            except PhotoStoreError as exc:
                log.error(
                    "photo store failed (%s): refused %d uploads of user %s", exc, len(uploads), user.id
                )
                yield Text(tr(msg.STORE_FULL) if isinstance(exc, StoreFullError) else tr(msg.STORE_DOWN))
                return
            self._count_verdicts(result.codes)
            verdict = result.verdict.readiness
            good, needed = len(result.verdict.usable), self.settings.min_selfies
            ready_text, buttons = (
                self.teams.members.ready_prompt(chat, row.team_id)
                if row.team_id is not None
                else (tr(msg.READY), choose_style_button(self.buttons_for(chat, row.id)))
            )
            summary = (
                msg.count_line(good, needed)
                + ". "
                + (ready_text if verdict.ready else set_advice(verdict.message))
            )
            await asyncio.to_thread(
                sessions.save_session, self.db, row, state=COLLECTING, data={"ready": verdict.ready}
            )
            buttons = buttons if verdict.ready else ()
            yield Text("\n".join((*result.lines, "", summary)), buttons)

    async def _throttled(self, chat: ChatRef, cost: int = 1) -> tuple[Reply, ...] | None:
        """None to go ahead; over the rate limit, the replies instead (none once told)."""
        verdict = await self.shared.limits.take(chat, cost)
        if verdict == RateVerdict.ALLOW:
            return None
        log.info("rate limited %s:%s (%s)", chat.platform, chat.user_id, verdict.value)
        return (Text(tr(msg.SLOW_DOWN)),) if verdict == RateVerdict.THROTTLED else ()

    def _count_verdicts(self, codes: Sequence[Sequence[str]]) -> None:
        metrics = self.services.metrics
        if metrics is None:
            return
        for photo_codes in codes:
            for code in photo_codes or ("ok",):
                metrics.count_verdict(code)

    async def _ban(self, chat: ChatRef, command: Command) -> Reply:
        """/ban or /unban USER_ID from an admin (`Settings.admin_ids`), on the admin's platform."""
        if not is_admin(self.settings, chat):
            return Text(tr(msg.UNKNOWN_COMMAND))
        if len(command.args) != 1 or not command.args[0].strip():
            return Text(tr(msg.BAN_USAGE))
        target, banned = command.args[0].strip(), command.name.lower() == "ban"
        await asyncio.to_thread(set_banned, self.db, chat.platform, target, banned=banned)
        log.info("%s:%s set banned=%s on %s", chat.platform, chat.user_id, banned, target)
        return Text((tr(msg.BAN_DONE) if banned else tr(msg.UNBAN_DONE)).format(user_id=target))

    async def progress_message_sent(self, chat: ChatRef, message_id: str) -> None:
        """The adapter posted a `ProgressMessage`; later progress edits that message."""
        if chat.shared and await self.teams.card_sent(chat, message_id):
            return
        user = await asyncio.to_thread(sessions.find_user, self.db, chat.platform, chat.user_id)
        if user is None or user.id is None:
            return
        row = await asyncio.to_thread(sessions.current_session, self.db, user.id)
        if row is not None:
            await asyncio.to_thread(sessions.save_session, self.db, row, progress_message_id=message_id)

    async def progress_message_moved(self, platform: str, chat_id: str, old_id: str, new_id: str) -> None:
        """An edit found the progress message (or a team card) gone and posted it anew."""
        await asyncio.to_thread(sessions.move_progress_message, self.db, platform, chat_id, old_id, new_id)

    async def locale_for(self, chat: ChatRef) -> str:
        """The locale to answer `chat`'s user in outside an event (an adapter's own sentences:
        slash-command errors, "check your DMs")."""
        user = await asyncio.to_thread(sessions.find_user, self.db, chat.platform, chat.user_id)
        return user_locale(user, chat.locale)

    def add_platform(self, limits: PlatformLimits) -> None:
        """An adapter says what its platform can do (`handlers.platform.PlatformDriver` does)."""
        self.platforms[limits.platform] = limits

    def unreadable_reply(self) -> Reply:
        """For an upload the adapter could not even download."""
        return Text(tr(msg.PHOTO_UNREADABLE))

    def _unsupported(self, event: UnsupportedInput) -> Reply:
        if event.kind == "too_large":
            size_mb = round((event.size or 0) / MB)
            limit_mb = round((event.limit or self.settings.max_upload_bytes) / MB)
            return Text(tr(msg.TOO_LARGE).format(mb=size_mb, limit=limit_mb))
        return Text(tr(msg.UNSUPPORTED.get(event.kind, msg.UNSUPPORTED["other"])))

    async def _command(self, chat: ChatRef, user: User, command: Command) -> AsyncIterator[Reply]:
        assert user.id is not None
        limits = {"min": self.settings.min_selfies, "max": self.settings.max_selfies}
        name = command.name.lower()
        team_code = self.teams.members.start_code(command)
        if team_code is not None:
            async for reply in self.teams.members.join(chat, user, team_code):
                yield reply
        elif name == "team":
            async for reply in self.teams.command(chat, user, command):
                yield reply
        elif name == "start":
            yield Text(tr(msg.WELCOME).format(**limits))
        elif name == "help":
            yield Text(tr(msg.HELP).format(**limits))
        elif name in {"new", "cancel"}:
            row = await asyncio.to_thread(sessions.current_session, self.db, user.id)
            had_order = await self.actions.end_session(row)
            if name == "new":
                await asyncio.to_thread(sessions.start_session, self.db, user.id, chat.chat_id)
                yield Text(tr(msg.NEW_SESSION).format(**limits))
            elif row is None:
                yield Text(tr(msg.NOTHING_TO_CANCEL))
            else:
                yield Text(tr(msg.CANCELLED_ORDER) if had_order else tr(msg.CANCELLED))
        elif name == "language":
            yield await self._language(chat, user, command)
        elif name in {"ban", "unban"}:
            yield await self._ban(chat, command)
        elif name == "delete":
            yield Text(tr(msg.DELETE_ASK), delete_buttons(self.buttons_for(chat, 0)))
        elif name == "status":
            yield await self._status(chat, user)
        elif name == "web":
            async for reply in self._web_links(chat, user):
                yield reply
        elif name == "styles":
            styles = self.services.engine.styles.list()
            lines = "\n".join(
                tr(msg.STYLE_LINE).format(label=tr(t.label), description=tr(t.description)) for t in styles
            )
            yield Text(tr(msg.STYLE_LIST).format(lines=lines))
        else:
            yield Text(tr(msg.UNKNOWN_COMMAND))

    async def _language(self, chat: ChatRef, user: User, command: Command) -> Reply:
        """/language: the language buttons; `/language es` switches at once."""
        assert user.id is not None
        wanted = spoken(command.args[0]) if command.args else None
        if wanted is not None:
            return await self._set_language(user, wanted)
        return Text(tr(msg.LANGUAGE_PICK), language_buttons(self.buttons_for(chat, 0), current_locale()))

    async def _set_language(self, user: User, locale: str) -> Reply:
        assert user.id is not None
        await asyncio.to_thread(sessions.set_locale, self.db, user.id, locale)
        set_locale(locale)
        log.info("user %s now reads %s", user.id, locale)
        return Text(tr(msg.LANGUAGE_SET))

    async def _web_links(self, chat: ChatRef, user: User) -> AsyncIterator[Reply]:
        """/web: a sign-in link to the web studio, and the dashboard of each team the user
        organises; in a shared chat they go to the private chat instead."""
        assert user.id is not None
        links = self.services.links
        url = links.sign_in(chat.platform, chat.user_id) if links is not None else None
        if links is None or url is None:
            yield Text(tr(msg.WEB_OFF))
            return
        replies: list[Reply] = [Text(tr(msg.WEB_LINK).format(minutes=links.sign_in_minutes, url=url))]
        for team in await asyncio.to_thread(teams_organised_by, self.db, user.id):
            assert team.id is not None
            team_url = links.team(team.id, user.id)
            if team_url is not None:
                replies.append(Text(tr(msg.WEB_TEAM_LINK).format(team=team.name, url=team_url)))
        if chat.shared:
            self.teams.pending.append((chat.platform, Outgoing(chat.private_chat_id, tuple(replies))))
            yield Text(tr(msg.WEB_LINK_PRIVATELY))
            return
        for reply in replies:
            yield reply

    async def _status(self, chat: ChatRef, user: User) -> Reply:
        assert user.id is not None
        row = await asyncio.to_thread(sessions.current_session, self.db, user.id)
        if row is None:
            return Text(tr(msg.STATUS_EMPTY))
        assert row.id is not None
        style = shown_style(self.services.engine.styles, row.style or "")
        if row.state in ORDER_ACTIVE and row.data.get("job_id"):
            return Text(progress_text(await self.services.jobs.status(row.data["job_id"])))
        if row.state == CHOOSING_STYLE:
            return Text(tr(msg.STATUS_CHOOSING), choose_style_button(self.buttons_for(chat, row.id)))
        if row.state == PREVIEWING:
            return Text(tr(msg.STATUS_PREVIEWING).format(style=style))
        if row.state == CONFIRMING:
            return Text(tr(msg.STATUS_CONFIRMING).format(style=style))
        if row.state == DELIVERED:
            return Text(tr(msg.STATUS_DELIVERED).format(style=style))
        photos = await asyncio.to_thread(sessions.session_photos, self.db, row.id)
        good = sum(1 for p in photos if p.ok)
        ready = bool(row.data.get("ready"))
        more = max(1, self.settings.min_selfies - good)
        nxt = tr(msg.READY) if ready else tr_n(msg.SEND_MORE, more).format(more=more)
        buttons = choose_style_button(self.buttons_for(chat, row.id)) if ready else ()
        return Text(
            tr(msg.STATUS_COLLECTING).format(count=msg.count_line(good, self.settings.min_selfies), next=nxt),
            buttons,
        )

    async def _button(self, chat: ChatRef, user: User, event: ButtonPressed) -> AsyncIterator[Reply]:
        assert user.id is not None
        if is_team_data(event.data):
            async for reply in self.teams.button(chat, user, event.data):
                yield reply
            return
        try:
            callback = self.signer.verify(chat.platform, chat.user_id, event.data)
        except CallbackError:
            log.warning("refused callback data from %s:%s", chat.platform, chat.user_id)
            yield Notice(tr(msg.NOT_YOUR_BUTTON))
            return
        if callback.action == Action.SET_LANGUAGE:
            if callback.arg in LOCALES:
                yield Notice("")
                yield await self._set_language(user, callback.arg)
            else:
                yield Notice(tr(msg.NOT_NOW))
            return
        if callback.action in {Action.DELETE_YES, Action.DELETE_NO}:
            if callback.action == Action.DELETE_YES:
                await self.teams.end_organised(user)  # the team is told, its data goes too
                await self.servers.take_down_posts(user)  # results the user shared publicly
            async for reply in self.actions.delete(user, confirmed=callback.action == Action.DELETE_YES):
                yield reply
            return
        row: SelfieSession | None = await asyncio.to_thread(
            sessions.get_session, self.db, callback.session_id
        )
        if row is None or row.user_id != user.id:
            yield Notice(tr(msg.STALE_BUTTON))
            yield Text(tr(msg.STALE_BUTTON))
            return
        if row.team_id is not None and callback.action != Action.FULL_RESOLUTION:
            async for reply in self.teams.members.session_button(chat, row, callback):
                yield reply
            return
        async for reply in self.actions.run(chat, user, row, callback):
            yield reply
