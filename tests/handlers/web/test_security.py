"""Safe when exposed: loopback and the Host check, sign-in links, the cookie, CSRF, and one
user never reaching another's files or albums. Each test tries the way in it guards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from sqlmodel import select

from conversations.shared.events import ChatRef, Command
from conversations.shared.replies import Image, Text
from engine.pipeline import EngineResources
from storage.erasure import delete_user_data
from storage.models import User
from tests.handlers.web.conftest import WebHarness, album_of, bot_says, csrf_of, start_studio


async def test_open_studio_signs_each_browser_in_with_a_strict_cookie(web_harness: WebHarness) -> None:
    client = web_harness.client()
    async with client.get("/") as response:
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        policy = response.headers["Content-Security-Policy"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    _, welcome = await bot_says(client, "selfies")
    assert "photos of just you" in welcome["text"]


async def test_a_page_elsewhere_cannot_reach_the_loopback_studio(web_harness: WebHarness) -> None:
    """DNS rebinding: a foreign name resolving to 127.0.0.1 is refused in open mode."""
    client = web_harness.client(Host="evil.example")
    async with client.get("/") as response:
        assert response.status == 421


async def test_every_post_needs_the_sessions_csrf_token(web_harness: WebHarness) -> None:
    client, other = web_harness.client(), web_harness.client()
    token = await csrf_of(client)
    other_token = await csrf_of(other)
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": other_token}):
        async with client.post("/api/text", json={"text": "/help"}, headers=headers) as response:
            assert response.status == 403, headers
    async with client.post("/api/text", json={"text": "/help"}, headers={"X-CSRF-Token": token}) as response:
        assert response.status == 200
    await bot_says(client, "/delete")
    async with web_harness.client().post("/api/button", json={"data": "x"}) as response:
        assert response.status == 401, "no session, no chat"


async def test_exposed_studio_lets_in_only_with_a_sign_in_link(
    tmp_path: Path, web_engines: tuple[EngineResources, EngineResources]
) -> None:
    harness = await start_studio(tmp_path / "data", web_engines, public_url="https://studio.example")
    try:
        stranger = harness.client()
        async with stranger.get("/") as response:
            assert response.status == 401
        async with stranger.get("/signin", params={"t": "forged.1.x"}) as response:
            assert response.status == 403
        async with stranger.get("/api/messages") as response:
            assert response.status == 401

        link = harness.studio.links.start_up()
        assert link is not None
        assert link.startswith("https://studio.example/signin#t=")
        guest = harness.client()
        start_up = {"t": link.split("t=", 1)[1]}
        async with guest.post("/signin", data=start_up, allow_redirects=False) as response:
            assert response.status == 303
            assert "Secure" in response.headers["Set-Cookie"]
        guest.cookie_jar.update_cookies({"hs_session": response.cookies["hs_session"].value})
        async with guest.get("/") as response:
            assert response.status == 200
        first = harness.studio.links.session_user(_cookie(guest))
        async with guest.post("/signin", data=start_up, allow_redirects=False) as response:
            again = harness.studio.links.session_user(response.cookies["hs_session"].value)
        assert again == first, "the start-up link opened twice keeps the browser's web user"
        assert harness.studio.links.signed_in_as(link.split("t=", 1)[1]) != first, "another browser: another"

        # /web in a chat: a link for that chat user, in private only.
        ada = ChatRef("telegram", "77", "77", "Ada", private_chat_id="77")
        replies = [r async for r in harness.conversation.handle(ada, Command("web"))]
        assert isinstance(replies[0], Text)
        url = replies[0].text.split(": ", 1)[1]
        assert url.startswith("https://studio.example/signin#t=")
        in_group = ChatRef("telegram", "77", "-5", "Ada", private_chat_id="77")
        replies = [r async for r in harness.conversation.handle(in_group, Command("web"))]
        assert isinstance(replies[0], Text)
        assert "private chat" in replies[0].text
        assert "signin" not in replies[0].text
        assert harness.studio.links.signed_in_as(url.split("t=", 1)[1]) == "telegram-77"
    finally:
        await harness.stop()


async def test_nobody_reaches_another_users_files_or_album(web_harness: WebHarness) -> None:
    ada, bea = web_harness.client(), web_harness.client()
    await csrf_of(ada)
    await csrf_of(bea)
    ada_id = web_harness.studio.gate.links.session_user(_cookie(ada))
    assert ada_id is not None
    await web_harness.studio.output(ada_id).image(Image(b"\xff\xd8private", "mine"))
    _, message = await bot_says(ada, "mine")
    url = message["files"][0]["url"]
    async with ada.get(url) as response:
        assert response.status == 200
        assert await response.read() == b"\xff\xd8private"
    async with bea.get(url) as response:
        assert response.status == 404

    job_id = album_of(web_harness, "web", ada_id, b"\xff\xd8result")
    for path in (f"/album/{job_id}", f"/album/{job_id}/1.jpg", f"/album/{job_id}/album.zip"):
        async with ada.get(path) as response:
            assert response.status == 200, path
        async with bea.get(path) as response:
            assert response.status == 404, path
    async with ada.get(f"/album/{job_id}/1.jpg") as response:
        assert await response.read() == b"\xff\xd8result"

    # A restart empties the transcript; the fresh page still links to the finished album.
    web_harness.studio.chats.clear()
    await bot_says(ada, f"/album/{job_id}")
    async with bea.get("/api/messages") as response:  # Bea's fresh page: her greeting only
        assert job_id not in await response.text()


async def test_a_chat_users_album_link_works_until_delete(web_harness: WebHarness) -> None:
    links = web_harness.studio.links
    job_id = album_of(web_harness, "telegram", "42", b"\xff\xd8tg")
    assert links.album("telegram", "42", job_id) is None, "no public URL: no link in chats"
    web_harness.settings.public_url = "https://studio.example"
    url = links.album("telegram", "42", job_id)
    assert url is not None
    path = url.removeprefix("https://studio.example")
    anyone = web_harness.client()
    async with anyone.get(path + "/1.jpg") as response:
        assert response.status == 200
        assert await response.read() == b"\xff\xd8tg"
    token = path.removeprefix("/a/")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    async with anyone.get(f"/a/{forged}") as response:
        assert response.status == 404
    other = links.album("telegram", "43", job_id)
    assert other is not None
    async with anyone.get(other.removeprefix("https://studio.example")) as response:
        assert response.status == 404, "a link for another owner does not open this job"
    with web_harness.db.session() as session:
        user = session.exec(_select_user("telegram", "42")).one()
    assert user.id is not None
    delete_user_data(web_harness.db, web_harness.store, user.id)
    async with anyone.get(path) as response:
        assert response.status == 404, "/delete revokes the link"


def _cookie(client: aiohttp.ClientSession) -> str:
    return next(str(c.value) for c in client.cookie_jar if c.key == "hs_session")


def _select_user(platform: str, user_id: str) -> Any:
    return select(User).where(User.platform == platform, User.platform_user_id == user_id)


async def test_uploads_meet_the_chats_limits_and_decoders(
    tmp_path: Path, web_engines: tuple[EngineResources, EngineResources], person_a_paths: list[Path]
) -> None:
    harness = await start_studio(tmp_path / "data", web_engines, max_upload_bytes=300_000)
    try:
        client = harness.client()
        headers = {"X-CSRF-Token": await csrf_of(client), "Content-Type": "image/jpeg"}
        big = b"\xff\xd8" + b"0" * 400_000
        async with client.post("/api/photo", data=big, headers=headers) as response:
            assert response.status == 200
        await bot_says(client, "the limit is")
        async with client.post(
            "/api/photo", data=b"GIF89a", headers={**headers, "Content-Type": "image/gif"}
        ):
            pass
        await bot_says(client, "GIFs")
        async with client.post("/api/photo", data=b"hi", headers={**headers, "Content-Type": "text/plain"}):
            pass
        await bot_says(client, "not an image")
        async with client.post("/api/photo", data=b"\xff\xd8 not really", headers=headers):
            pass
        _, unreadable = await bot_says(client, "Photo 1")
        assert "Photo 1: good" not in unreadable["text"]
        small = next(p for p in person_a_paths if p.stat().st_size < 300_000)
        async with client.post("/api/photo", data=small.read_bytes(), headers=headers):
            pass
        await bot_says(client, "Photo 2")
    finally:
        await harness.stop()
