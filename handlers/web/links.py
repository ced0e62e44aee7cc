"""Links into the web studio: what a token grants, and the URLs the chats hand out.

`WebLinks` is the conversation's `conversations.shared.ports.WebLinks`. A chat user's album
and team links carry a signed, expiring token naming the owner and the job (or the team and
its organiser); the page checks the database on every request, so a link dies with the job
(/delete) or the team. Chat links need an address the chat user can reach
(`Settings.public_url`); a web user's own album links are plain paths checked against their
session cookie.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from handlers.web.config import WebConfig
from handlers.web.tokens import TokenError, TokenSigner

PLATFORM: Final = "web"
SESSION: Final = "session"
SIGN_IN: Final = "sign-in"
ALBUM: Final = "album"
TEAM: Final = "team"
NEW_USER: Final = "*"
"""A sign-in payload that makes a new web user for each browser (the start-up link)."""
DAY_S: Final = 24 * 3600
SIGN_IN_PATH: Final = "/signin#t="
"""The token rides in the fragment: browsers never send it, so no proxy log, link preview or
Referer sees it; the sign-in page's script puts it in the form it POSTs."""


def new_web_user() -> str:
    return "w" + secrets.token_hex(12)


def linked_web_user(platform: str, user_id: str) -> str:
    """The web user a chat user becomes with their /web link: the same one every time."""
    return user_id if platform == PLATFORM else f"{platform}-{user_id}"


@dataclass(frozen=True)
class AlbumGrant:
    platform: str
    user_id: str
    job_id: str


@dataclass(frozen=True)
class TeamGrant:
    team_id: int
    organiser_id: int


class WebLinks:
    """Signs and reads the web studio's links. `base_url` is where the studio answers: the
    public URL, else the bound address once the server runs ('' before)."""

    def __init__(self, settings: WebConfig) -> None:
        self.settings = settings
        self.signer = TokenSigner.from_secret(settings.callback_secret, audience=settings.public_url)
        self.base_url = settings.public_url
        self._signed_out: dict[str, int] = {}
        """Web user -> when (ns) they last used /delete: cookies issued before no longer work."""
        self._forgetting: list[Callable[[str], Awaitable[None]]] = []
        self._redeemed: dict[str, float] = {}
        """Nonces of the chat users' sign-in links already used -> when the link expires."""

    @property
    def sign_in_minutes(self) -> int:
        return self.settings.web_sign_in_minutes

    def _absolute(self, path: str) -> str | None:
        return f"{self.base_url}{path}" if self.base_url else None

    # -- what the chats hand out (the conversation's port) ---------------------------------

    def sign_in(self, platform: str, user_id: str) -> str | None:
        """A link that signs one browser in as this chat user's web account, once."""
        payload = f"{linked_web_user(platform, user_id)}|{secrets.token_urlsafe(12)}"
        token = self.signer.sign(SIGN_IN, payload, self.settings.web_sign_in_minutes * 60)
        return self._absolute(f"{SIGN_IN_PATH}{token}")

    def album(self, platform: str, user_id: str, job_id: str) -> str | None:
        if platform == PLATFORM:
            return f"/album/{job_id}"
        if not self.settings.public_url:
            return None
        token = self.signer.sign(ALBUM, f"{platform}|{user_id}|{job_id}", self.settings.web_link_days * DAY_S)
        return f"{self.settings.public_url}/a/{token}"

    def team(self, team_id: int, organiser_id: int) -> str | None:
        token = self.signer.sign(TEAM, f"{team_id}|{organiser_id}", self.settings.web_link_days * DAY_S)
        return self._absolute(f"/t/{token}")

    def start_up(self) -> str | None:
        """The link printed at start-up: each browser that opens it becomes a new web user."""
        token = self.signer.sign(SIGN_IN, NEW_USER, self.settings.web_sign_in_minutes * 60)
        return self._absolute(f"{SIGN_IN_PATH}{token}")

    def linked_account(self, platform: str, user_id: str) -> tuple[str, str] | None:
        return None if platform == PLATFORM else (PLATFORM, linked_web_user(platform, user_id))

    async def forget(self, platform: str, user_id: str) -> None:
        """After /delete: every browser signed in as this user (their own web account, or the
        one their /web link made) is signed out, and the studio drops what it kept for them.
        Kept in memory, as the transcript is: the studio runs once per deployment."""
        web_user = linked_web_user(platform, user_id)
        self._signed_out[web_user] = time.time_ns()
        for forget in self._forgetting:
            await forget(web_user)

    def on_forget(self, forget: Callable[[str], Awaitable[None]]) -> None:
        """Call `forget(web_user)` when a user's data is deleted."""
        self._forgetting.append(forget)

    # -- what the pages read -----------------------------------------------------------------

    def session_cookie(self, web_user: str) -> str:
        """The signed session of `web_user`, stamped with when it was issued."""
        payload = f"{web_user}|{time.time_ns()}"
        return self.signer.sign(SESSION, payload, self.settings.web_session_days * DAY_S)

    def session_user(self, cookie: str) -> str | None:
        """The web user of a session cookie; None if forged, expired or from before their /delete."""
        try:
            user, _, issued = self.signer.verify(SESSION, cookie).rpartition("|")
        except TokenError:
            return None
        if not user or not issued.isdigit() or int(issued) < self._signed_out.get(user, 0):
            return None
        return user

    def signed_in_as(self, token: str, current: str | None = None) -> str | None:
        """The web user a sign-in link makes, or None (forged, expired or used already).
        The start-up link keeps a browser's `current` web user (opening it twice loses
        nothing) and makes a new one otherwise."""
        try:
            user, _, nonce = self.signer.verify(SIGN_IN, token).partition("|")
        except TokenError:
            return None
        if user == NEW_USER:
            return current or new_web_user()
        if not nonce or nonce in self._redeemed:
            return None
        return user

    def redeem(self, token: str, current: str | None = None) -> str | None:
        """`signed_in_as`, and a chat user's link is used up: a forwarded or leaked link that
        was opened once no longer works. (The start-up link, printed on the console, makes a
        new web user for each browser and works until it expires.)"""
        user = self.signed_in_as(token, current)
        if user is None:
            return None
        _, _, nonce = self.signer.verify(SIGN_IN, token).partition("|")
        if nonce:
            now = time.time()
            self._redeemed = {n: until for n, until in self._redeemed.items() if until > now}
            self._redeemed[nonce] = now + self.settings.web_sign_in_minutes * 60
        return user

    def album_grant(self, token: str) -> AlbumGrant | None:
        try:
            platform, user_id, job_id = self.signer.verify(ALBUM, token).split("|")
        except (TokenError, ValueError):
            return None
        return AlbumGrant(platform, user_id, job_id)

    def team_grant(self, token: str) -> TeamGrant | None:
        try:
            team, organiser = self.signer.verify(TEAM, token).split("|")
            return TeamGrant(int(team), int(organiser))
        except (TokenError, ValueError):
            return None
