"""What an attacker tries on the web studio: odd tokens, hostile file names, bodies past the
limit, broken JSON, a reverse proxy in front of the open studio, and what is left after /delete.
Each test is the attack; the studio must answer it without a 500 and without giving way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from conversations.shared.replies import Document
from engine.pipeline import EngineResources
from tests.handlers.web.conftest import WebHarness, bot_says, csrf_of, start_studio


async def test_tokens_with_odd_characters_are_refused_not_crashed_on(web_harness: WebHarness) -> None:
    client = web_harness.client()
    await csrf_of(client)
    async with client.get("/signin", params={"t": "YQ.9999999999.\u00e9\u00e9"}) as response:
        assert response.status == 403
    async with client.get("/a/YQ.9999999999.\u00e9") as response:
        assert response.status == 404
    async with client.get("/t/YQ.9999999999.\u00e9") as response:
        assert response.status == 404
    headers = {"X-CSRF-Token": "\u00e9t\u00e9"}
    async with client.post("/api/text", json={"text": "/help"}, headers=headers) as response:
        assert response.status == 403


async def test_broken_json_is_a_bad_request(web_harness: WebHarness) -> None:
    client = web_harness.client()
    headers = {"X-CSRF-Token": await csrf_of(client), "Content-Type": "application/json"}
    for path in ("/api/button", "/api/text"):
        for body in (b"{not json", b"[1, 2]", b'"text"'):
            async with client.post(path, data=body, headers=headers) as response:
                assert response.status == 400, (path, body)


async def test_a_hostile_file_name_cannot_break_out_of_its_header_or_path(web_harness: WebHarness) -> None:
    client = web_harness.client()
    await csrf_of(client)
    user = web_harness.studio.links.session_user(_cookie(client))
    assert user is not None
    hostile = "x\"; filename*=UTF-8''evil.html; a=\".zip"
    await web_harness.studio.output(user).document(Document(b"PK", hostile, "the export"))
    _, message = await bot_says(client, "the export")
    url = message["files"][0]["url"]
    assert url.count("/") == 3, url
    async with client.get(url) as response:
        assert response.status == 200
        disposition = response.headers["Content-Disposition"]
        assert response.content_disposition is not None
        assert response.content_disposition.filename is not None
    assert disposition.count('"') == 2, disposition
    assert "filename*" not in disposition
    assert response.content_disposition.filename.endswith(".zip")


async def test_a_chunked_body_past_the_limit_is_too_large(
    tmp_path: Path, web_engines: tuple[EngineResources, EngineResources]
) -> None:
    """No Content-Length: the studio must still stop at the chats' limit, not a MB later."""
    harness = await start_studio(tmp_path / "data", web_engines, max_upload_bytes=300_000)
    try:
        client = harness.client()
        headers = {"X-CSRF-Token": await csrf_of(client), "Content-Type": "image/jpeg"}

        async def body() -> AsyncIterator[bytes]:
            yield b"\xff\xd8"
            for _ in range(5):
                yield b"0" * 100_000

        async with client.post("/api/photo", data=body(), headers=headers) as response:
            assert response.status == 200
        await bot_says(client, "the limit is")
    finally:
        await harness.stop()


def _cookie(client: object) -> str:
    jar = client.cookie_jar  # type: ignore[attr-defined]
    return next(str(c.value) for c in jar if c.key == "hs_session")
