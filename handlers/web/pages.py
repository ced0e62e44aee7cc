"""The HTML around the pages: plain markup, every value escaped, no inline script or style
(the Content-Security-Policy forbids both). Words on the pages are the conversation's own
messages wherever it has one, so they are translated with it."""

from __future__ import annotations

from html import escape
from typing import Final

from conversations.i18n.translate import current_locale

TITLE: Final = "Headshot Studio"


def page(title: str, body: str, *, csrf: str = "", script: str = "") -> str:
    meta = f'<meta name="csrf" content="{escape(csrf)}">' if csrf else ""
    tag = f'<script src="/static/{escape(script)}" defer></script>' if script else ""
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(current_locale().replace("_", "-"))}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{meta}"
        '<link rel="stylesheet" href="/static/studio.css">'
        f"{tag}</head><body>{body}</body></html>\n"
    )


def studio_page(csrf: str) -> str:
    body = f"""
<header><h1>{escape(TITLE)}</h1>
<nav id="commands">
<button type="button" data-command="/new">/new</button>
<button type="button" data-command="/status">/status</button>
<button type="button" data-command="/styles">/styles</button>
<button type="button" data-command="/help">/help</button>
<button type="button" data-command="/delete">/delete</button>
<button type="button" data-command="/language">/language</button>
</nav></header>
<main id="log" aria-live="polite"></main>
<div id="toast" role="status" hidden></div>
<footer>
<label id="pick" class="pick">📷<input id="files" type="file" accept="image/*" multiple></label>
<form id="say"><input id="text" name="text" autocomplete="off" aria-label="message">
<button type="submit">➤</button></form>
</footer>"""
    return page(TITLE, body, csrf=csrf, script="studio.js")


def message_page(title: str, text: str) -> str:
    return page(title, f"<main class='page'><h1>{escape(title)}</h1><p>{escape(text)}</p></main>")


def gallery(items: list[tuple[str, str, str]]) -> str:
    """(image URL, caption, download URL) as a grid of figures."""
    figures = "".join(
        f'<figure><a href="{escape(full)}">'
        f'<img src="{escape(src)}" alt="{escape(caption)}" loading="lazy"></a>'
        f'<figcaption><a href="{escape(full)}" download>{escape(caption)}</a></figcaption></figure>'
        for src, caption, full in items
    )
    return f'<div class="gallery">{figures}</div>'


def sign_in_page(title: str, text: str, button: str, token: str) -> str:
    """The page a sign-in link opens: a button that signs in (a POST), so opening the link
    alone (a chat's link preview, a page that navigates here) signs nobody in. `token` is
    empty for a `#t=` link: `signin.js` fills it in from the fragment."""
    form = (
        '<form method="post" action="/signin">'
        f'<input type="hidden" name="t" value="{escape(token)}">'
        f'<button type="submit">{escape(button)}</button></form>'
    )
    body = f"<main class='page'><h1>{escape(title)}</h1><p>{escape(text)}</p>{form}</main>"
    return page(title, body, script="signin.js")
