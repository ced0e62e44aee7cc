"""What keeps the web studio safe when exposed: who is signed in, CSRF, headers, the Host.

- **Loopback by default.** Bound to 127.0.0.1 without `Settings.public_url`, the studio is
  *open*: each browser becomes a web user of its own on first visit. The Host header must
  then name the loopback address, so a page elsewhere cannot reach it by DNS rebinding, and
  the request must come from this machine and not through a proxy (a reverse proxy on the same
  machine would otherwise open it to the internet: set `public_url` behind one).
- **Otherwise, sign-in links only** (`handlers.web.links`): printed at start-up, or sent by
  the bot on /web. The session is a signed cookie, HttpOnly, SameSite=Strict (Secure behind
  https), never readable by the page's script.
- **CSRF.** Every POST carries the session's token (a header from the page's script, a field
  in forms); SameSite alone is not relied on.
- **Headers.** A strict Content-Security-Policy (scripts and styles from this server only),
  no framing, no sniffing, no referrer (links carry tokens).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from handlers.web.links import WebLinks

COOKIE: Final = "hs_session"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf"
HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
LOOPBACK_NAMES: Final = ("localhost",)
FORWARDED: Final = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")
"""Headers a reverse proxy adds: the open studio answers no request that carries one."""
BEHIND_A_PROXY: Final = (
    "This studio is open to this machine only. Behind a proxy, set HEADSHOTS_PUBLIC_URL: "
    "sign-in links are then required."
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Gate:
    """Reads the session cookie and decides what a request may see."""

    def __init__(self, links: WebLinks, *, host: str, public_url: str) -> None:
        self.links = links
        self.open = is_loopback(host) and not public_url
        """No sign-in needed: loopback only, and no public address configured."""
        self.secure_cookie = public_url.startswith("https://")
        self.public_host = urlsplit(public_url).netloc

    def web_user(self, request: web.Request) -> str | None:
        cookie = request.cookies.get(COOKIE, "")
        return self.links.session_user(cookie) if cookie else None

    def sign_in(self, response: web.StreamResponse, web_user: str) -> None:
        response.set_cookie(
            COOKIE,
            self.links.session_cookie(web_user),
            max_age=self.links.settings.web_session_days * 24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=self.secure_cookie,
            path="/",
        )

    def same_origin(self, request: web.Request) -> bool:
        """Whether a request comes from this studio's own pages, by what the browser says:
        `Sec-Fetch-Site` where it sends one (every current browser), else `Origin` (this Host,
        or the public URL's); an opaque `Origin: null` is refused."""
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None:
            return site in ("same-origin", "none")
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        return urlsplit(origin).netloc in {request.host, self.public_host} - {""}

    def csrf_ok(self, web_user: str, token: str) -> bool:
        return self.links.signer.check_csrf(web_user, token)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.open and not is_loopback(request.url.host or ""):
            raise web.HTTPMisdirectedRequest(text="This studio answers on its loopback address only.")
        if self.open and (
            not is_loopback(request.remote or "") or any(name in request.headers for name in FORWARDED)
        ):
            raise web.HTTPMisdirectedRequest(text=BEHIND_A_PROXY)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(HEADERS)
            raise
        response.headers.update({k: v for k, v in HEADERS.items() if k not in response.headers})
        return response
