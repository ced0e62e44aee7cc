"""The browser's Accept-Language is the web studio's language hint, as a Telegram user's
language_code is; the user's /language choice still wins."""

from __future__ import annotations

import pytest

from handlers.web.language import preferred_language
from tests.handlers.web.conftest import WebHarness, bot_says, csrf_of


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt-BR"),
        ("ja,de;q=0.7,en;q=0.5", "de"),
        ("en-GB,en;q=0.9", "en-GB"),
        ("fr;q=0.4, es;q=0.8", "es"),
        ("ja", "ja"),
        ("*", None),
        ("", None),
        ("de;q=0", None),
    ],
)
def test_the_best_language_of_a_header(header: str, tag: str | None) -> None:
    assert preferred_language(header) == tag


async def test_a_french_browser_is_answered_in_french_until_it_picks_russian(web_harness: WebHarness) -> None:
    client = web_harness.client(**{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    token = await csrf_of(client)
    async with client.get("/") as response:
        assert '<html lang="fr">' in await response.text()
    version, welcome = await bot_says(client, "selfies")
    assert "Les bons selfies" in welcome["text"], welcome["text"]

    async with client.post("/api/text", json={"text": "/language ru"}, headers={"X-CSRF-Token": token}) as r:
        assert r.status == 200
    version, _ = await bot_says(client, "по-русски", since=version)
    async with client.post("/api/text", json={"text": "/help"}, headers={"X-CSRF-Token": token}) as r:
        assert r.status == 200
    await bot_says(client, "Как это работает", since=version)
