"""The translation layer: which locale a hint picks, plural forms, the locale of the moment,
locale-aware numbers and dates, and the engine's English advice translated by its templates."""

from __future__ import annotations

import asyncio
import string
from datetime import UTC, datetime

import pytest

from conversations.i18n.formats import moment, number
from conversations.i18n.translate import current_locale, negotiate, set_locale, spoken, tr, tr_n, use_locale
from conversations.shared import messages as msg
from conversations.shared.advice import TEMPLATES, engine_text, set_advice


@pytest.mark.parametrize(
    ("hint", "locale"),
    [
        ("es", "es"), ("es-419", "es"), ("es_ES", "es"), ("pt-BR", "pt_BR"), ("pt", "pt_BR"),
        ("pt_br", "pt_BR"), ("de-AT", "de"), ("fr-CA", "fr"), ("ru", "ru"), ("en-GB", "en"),
        ("ja", "en"), ("", "en"), (None, "en"), ("de_DE.UTF-8", "de"),
    ],
)  # fmt: skip
def test_a_hint_picks_the_closest_locale(hint: str | None, locale: str) -> None:
    assert negotiate(hint) == locale


@pytest.mark.parametrize(
    ("hint", "locale"), [("pt-PT", "pt_BR"), ("en-GB", "en"), ("ES", "es"), ("ja", None), ("", None)]
)
def test_a_hint_names_a_language_we_speak_or_none(hint: str, locale: str | None) -> None:
    assert spoken(hint) == locale


def test_russian_counts_with_three_forms() -> None:
    with use_locale("ru"):
        forms = {n: tr_n(msg.DELETED, n).format(files=n) for n in (1, 2, 5, 21, 22, 25, 11)}
    assert "удалён 1 файл " in forms[1]
    assert "удалено 2 файла " in forms[2]
    assert "удалено 5 файлов " in forms[5]
    assert "удалён 21 файл " in forms[21]
    assert "удалено 22 файла " in forms[22]
    assert "удалено 11 файлов " in forms[11]


def test_english_is_the_source_and_the_default() -> None:
    assert current_locale() == "en"
    assert tr(msg.CANCELLED) == msg.CANCELLED
    assert tr_n(msg.DELETED, 1).startswith("Done: {files} file and")
    with use_locale("fr"):
        assert tr(msg.CANCELLED).startswith("Annulé.")
    assert tr(msg.CANCELLED) == msg.CANCELLED, "use_locale restores the locale after the block"


async def test_the_locale_belongs_to_the_task_that_set_it() -> None:
    """Two users answered at once each get their own language (a context variable per task)."""

    async def answer(locale: str) -> str:
        set_locale(locale)
        await asyncio.sleep(0)
        return tr(msg.NOTHING_TO_CANCEL)

    german, spanish = await asyncio.gather(answer("de"), answer("es"))
    assert german.startswith("Es gibt nichts abzubrechen")
    assert spanish.startswith("No hay nada que cancelar")
    assert current_locale() == "en"


def test_numbers_and_dates_follow_the_locale() -> None:
    when = datetime(2026, 12, 2, 18, 5, tzinfo=UTC)
    with use_locale("de"):
        assert moment(when) == "02.12.2026 18:05 UTC"
        assert number(1234.5) == "1.234,5"
    with use_locale("en"):
        assert moment(when) == "Dec 2, 2026 18:05 UTC"
    with use_locale("ru"):
        assert number(1234.5) == "1\xa0234,5"


def test_every_advice_template_survives_the_round_trip() -> None:
    """An engine sentence built from a template comes back as the same template in English and as
    its translation elsewhere, its values in place."""
    for template in TEMPLATES:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        values = {name: str(40 + i) for i, name in enumerate(names)}
        sentence = template.format(**values)
        assert engine_text(sentence) == sentence
        with use_locale("es"):
            translated = engine_text(sentence)
            assert translated == tr(template).format(**values), template
            assert translated != sentence or tr(template) == template


def test_the_set_verdict_is_translated_part_by_part() -> None:
    verdict = (
        "4 good photos so far; send at least 2 more, some in different light; "
        "photo 3 looks like a different person."
    )
    assert (
        set_advice(verdict)
        == "Send at least 2 more, some in different light; photo 3 looks like a different person."
    )
    with use_locale("de"):
        assert set_advice(verdict) == (
            "Schick mindestens 2 weitere, einige in anderem Licht; "
            "Foto 3 sieht nach einer anderen Person aus."
        )
    with use_locale("ru"):
        assert (
            engine_text("Something we never wrote a template for.")
            == "Something we never wrote a template for."
        )
