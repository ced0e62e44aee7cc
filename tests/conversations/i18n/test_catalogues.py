"""The catalogues are complete: every sentence the code marks is translated in every language,
with the same placeholders as the English, and with every plural form the language needs.

The sentences are extracted afresh from the source (as `make i18n-extract` does), so a sentence
added to the code without `make i18n-update` and a translation fails here, not in a chat.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from conversations.i18n import catalogues
from conversations.i18n.translate import DEFAULT_LOCALE, LOCALES, po_path

TRANSLATED = [locale for locale in LOCALES if locale != DEFAULT_LOCALE]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What the code marks today."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    catalogues.extract(pot)
    with pot.open("rb") as fp:
        return read_po(fp)


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def fields(text: str) -> set[str]:
    """The placeholders of a sentence, with their format specs ('{identity:.2f}')."""
    return {
        f"{name}:{spec}" if spec else name
        for _text, name, spec, _conversion in string.Formatter().parse(text)
        if name is not None
    }


def edges(text: str) -> tuple[bool, bool]:
    """Whether a sentence starts and ends with white space: pieces glued together keep their gaps."""
    return text[:1].isspace(), text[-1:].isspace()


def sentences(catalog: Catalog) -> dict[tuple[str, str | None], Message]:
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context): m for m in catalog if m.id}


def texts(value: object) -> tuple[str, ...]:
    """A message's id or string as its forms (one, or one per plural form)."""
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else (str(value),)


def test_the_template_is_up_to_date(source: Catalog) -> None:
    """The committed messages.pot is what translators start from: `make i18n-extract` after a change."""
    committed = read(catalogues.TEMPLATE)
    assert set(sentences(committed)) == set(sentences(source)), "run `make i18n-update`"


def test_every_source_sentence_formats(source: Catalog) -> None:
    """A sanity check of the source itself: no stray braces in a sentence."""
    for message in source:
        for text in texts(message.id):
            fields(text)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_sentence_is_translated_with_the_same_placeholders(source: Catalog, locale: str) -> None:
    path = po_path(locale)
    assert path.is_file(), f"no catalogue for {locale}: python -m conversations.i18n.catalogues init {locale}"
    catalog = read(path, locale)
    translated = sentences(catalog)
    problems = []
    for key, message in sentences(source).items():
        found = translated.get(key)
        if found is None or found.fuzzy or not found.string or not all(found.string):
            problems.append(f"missing or fuzzy: {key[0]!r}")
            continue
        expected, forms = texts(message.id), texts(found.string)
        if isinstance(message.id, tuple) != isinstance(found.string, tuple):
            problems.append(f"plural mismatch: {key[0]!r}")
            continue
        wanted = fields(expected[-1])
        for form in forms:
            if fields(form) != wanted:
                problems.append(f"placeholders {sorted(fields(form))} != {sorted(wanted)}: {form!r}")
            if edges(form) != edges(expected[-1]):
                problems.append(f"leading or trailing space differs from the English: {form!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_plural_sentences_have_every_form_the_language_needs(source: Catalog, locale: str) -> None:
    """As many forms as the language's plural rule has (CLDR): Russian needs three."""
    catalog = read(po_path(locale), locale)
    needed = Catalog(locale=locale).num_plurals
    assert catalog.num_plurals == needed, f"the header's Plural-Forms of {locale} is wrong"
    plurals = [m for m in catalog if m.id and isinstance(m.id, tuple)]
    assert plurals, "no plural sentences at all"
    for message in plurals:
        assert isinstance(message.string, tuple)
        assert len(message.string) == needed, message.id
        assert all(message.string), message.id


def test_russian_has_three_forms() -> None:
    """The rule the test above checks against, pinned: 1 фото, 2 фото, 5 фото, 21 фото."""
    assert Catalog(locale="ru").num_plurals == 3
    assert Locale.parse("ru").plural_form(21) == "one"
