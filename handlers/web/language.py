"""The browser's language: its `Accept-Language` header is the web adapter's locale hint.

A middleware reads the header once per request: the pages (albums, the team dashboard) are
drawn in that language, and every event of the request carries it as `ChatRef.locale`, as
Telegram's `language_code` and Discord's `interaction.locale` do (the user's own /language
choice still wins in the conversation).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from aiohttp import web

from conversations.i18n.translate import negotiate, set_locale, spoken

_hint: ContextVar[str | None] = ContextVar("accept_language", default=None)


def preferred_language(header: str) -> str | None:
    """The tag of an `Accept-Language` header to answer in: the highest-weighted one we speak,
    else the highest-weighted one at all ('pt-BR,pt;q=0.9,en;q=0.8' → 'pt-BR'); None if empty."""
    tags: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and tag != "*" and weight > 0:
            tags.append((-weight, index, tag))
    ordered = [tag for _weight, _index, tag in sorted(tags)]
    best = [tag for tag in ordered if spoken(tag) is not None] or ordered
    return best[0] if best else None


def browser_locale() -> str | None:
    """The current request's language hint (for `ChatRef.locale`)."""
    return _hint.get()


@web.middleware
async def language_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    hint = preferred_language(request.headers.get("Accept-Language", ""))
    _hint.set(hint)
    set_locale(negotiate(hint))
    return await handler(request)
