"""Translate the bot's sentences into the locale of whoever is being answered.

The sentences live as English source strings in the `messages` modules, marked with `N_`
(one form) or `NP_` (singular and plural) so `make i18n-extract` finds them. At the point of
use they are translated with `tr` / `tr_n` into the *current* locale, a context variable the
conversation sets from the user's stored choice or the platform's hint (`set_locale`,
`use_locale`). A context variable, as Django's `translation.activate` is: every task and every
`asyncio.to_thread` sees the locale of the event it is handling, and nothing has to carry it.

Catalogues are read from the `.po` files and compiled in memory on first use (a `.mo` from
`make i18n-compile`, when newer, is used instead), so a fresh clone needs no build step.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE: Final = "en"
LOCALES: Final = ("en", "es", "pt_BR", "de", "fr", "ru")
"""Every locale the bot speaks; English is the source language (the msgids)."""
LANGUAGE_NAMES: Final = {
    "en": "English",
    "es": "Español",
    "pt_BR": "Português (Brasil)",
    "de": "Deutsch",
    "fr": "Français",
    "ru": "Русский",
}
"""Each language in its own words, for the /language buttons."""
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locales"
DOMAIN: Final = "messages"

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


class Plural(NamedTuple):
    """A sentence with a singular and a plural source form (`tr_n` picks the right one)."""

    singular: str
    plural: str


def N_(message: str) -> str:  # noqa: N802 -- gettext's conventional marker name
    """Marks a source sentence for extraction; translated later with `tr`."""
    return message


def NP_(singular: str, plural: str) -> Plural:  # noqa: N802
    """Marks a sentence with plural forms for extraction; translated later with `tr_n`."""
    return Plural(singular, plural)


def NC_(context: str, message: str) -> str:  # noqa: N802
    """Marks a sentence that needs a context to translate (a command's name); `tr_c` translates it."""
    del context
    return message


def negotiate(hint: str | None) -> str:
    """The supported locale closest to a platform's hint ('pt-BR', 'pt_br', 'es-419', 'de'),
    English when there is none. A bare language takes its only supported variant ('pt')."""
    if not hint:
        return DEFAULT_LOCALE
    wanted = hint.strip().replace("-", "_").split(".")[0].split("@")[0]
    by_lower = {code.lower(): code for code in LOCALES}
    if wanted.lower() in by_lower:
        return by_lower[wanted.lower()]
    language = wanted.split("_")[0].lower()
    return next((code for code in LOCALES if code.split("_")[0].lower() == language), DEFAULT_LOCALE)


def spoken(hint: str | None) -> str | None:
    """The locale a hint names if we speak its language ('pt-PT' -> 'pt_BR', 'en-GB' -> 'en'),
    None for a language we do not ('ja'), where `negotiate` would fall back to English."""
    if not hint:
        return None
    locale = negotiate(hint)
    language = hint.strip().replace("-", "_").split("_")[0].lower()
    return locale if locale.split("_")[0].lower() == language else None


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of `locale` (source English for `DEFAULT_LOCALE` or a missing one)."""
    po = po_path(locale)
    mo = po.with_suffix(".mo")
    if locale == DEFAULT_LOCALE or not po.is_file():
        return gettext.NullTranslations()
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_locale() -> str:
    return _current.get()


def set_locale(locale: str) -> None:
    """Answer in `locale` from here on, in this task (and the threads and tasks it starts)."""
    _current.set(locale if locale in LOCALES else negotiate(locale))


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """`locale` for the block only (messages built for someone else: a team card, a reminder)."""
    token = _current.set(locale if locale in LOCALES else negotiate(locale))
    try:
        yield
    finally:
        _current.reset(token)


def tr(message: str) -> str:
    """`message` (a source sentence) in the current locale; unknown sentences stay as they are."""
    if not message:
        return message
    return translations(_current.get()).gettext(message)


def tr_c(context: str, message: str) -> str:
    """`message` as translated for `context` (gettext's `pgettext`)."""
    return translations(_current.get()).pgettext(context, message)


def tr_n(message: Plural, n: int) -> str:
    """The form of `message` that goes with the number `n`, in the current locale."""
    return translations(_current.get()).ngettext(message.singular, message.plural, n)
