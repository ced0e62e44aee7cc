"""What an attacker tries on the web studio: odd tokens, hostile file names, bodies past the
limit, broken JSON, a reverse proxy in front of the open studio, and what is left after /delete.
Each test is the attack; the studio must answer it without a 500 and without giving way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.serve import studio_announcement
from conversations.shared.events import ButtonPressed, ChatRef, Command
from conversations.shared.replies import Document, Image, Keyboard, Text
from engine.pipeline import EngineResources
from handlers.web.studio import MAX_PARALLEL_UPLOADS
from handlers.web.transcript import FileBudget, WebChat
from storage.models import Job, Team, TeamMember, User
from tests.handlers.web.conftest import (
    WebHarness,
    album_of,
    bot_says,
    csrf_of,
    sign_in,
    start_studio,
    three_member_team,
)


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


async def test_the_open_studio_refuses_requests_through_a_proxy(web_harness: WebHarness) -> None:
    """Open mode behind a reverse proxy on the same machine would be open to the internet:
    a forwarded request (or one from another address) is refused, never signed in."""
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"):
        client = web_harness.client(**{header: "203.0.113.5"})
        async with client.get("/") as response:
            assert response.status == 421, header
            assert "Set-Cookie" not in response.headers
            assert "HEADSHOTS_PUBLIC_URL" in await response.text()
    async with web_harness.client().get("/") as response:
        assert response.status == 200


async def test_delete_drops_the_transcript_and_signs_out_every_other_browser(web_harness: WebHarness) -> None:
    client = web_harness.client()
    token = await csrf_of(client)
    user = web_harness.studio.links.session_user(_cookie(client))
    assert user is not None
    stolen = web_harness.client()
    stolen.cookie_jar.update_cookies({"hs_session": _cookie(client)})
    await web_harness.studio.output(user).image(Image(b"\xff\xd8headshot", "your headshot"))
    _, image = await bot_says(client, "your headshot")
    url = image["files"][0]["url"]

    csrf = {"X-CSRF-Token": token}
    async with client.post("/api/text", json={"text": "/delete"}, headers=csrf) as response:
        assert response.status == 200
    version, ask = await bot_says(client, "cannot be undone")
    yes = _button(ask["buttons"], "delete everything")
    async with client.post("/api/button", json={"data": yes}, headers=csrf) as response:
        assert response.status == 200
    await bot_says(client, "records are deleted", since=version)

    async with client.get(url) as response:
        assert response.status == 404, "the headshot kept for the page is gone"
    async with client.get("/api/messages", params={"since": "0"}) as response:
        assert response.status == 200, "the browser that deleted stays signed in"
        texts = [m["text"] for m in (await response.json())["messages"]]
    assert not any("your headshot" in t or "cannot be undone" in t for t in texts), texts
    async with stolen.get("/api/messages", params={"since": "0"}) as response:
        assert response.status == 401, "a copy of the old cookie no longer works"
    async with stolen.get(url) as response:
        assert response.status == 401


async def test_delete_in_a_chat_signs_the_linked_web_account_out(web_harness: WebHarness) -> None:
    links = web_harness.studio.links
    web_harness.studio.links.base_url = web_harness.address
    ada = ChatRef("telegram", "77", "77", "Ada", private_chat_id="77")
    link = links.sign_in("telegram", "77")
    assert link is not None
    browser = web_harness.client()
    await sign_in(browser, link.removeprefix(web_harness.address))
    assert links.session_user(_cookie(browser)) == "telegram-77"
    replies = [r async for r in web_harness.conversation.handle(ada, Command("delete"))]
    ask = next(r for r in replies if isinstance(r, Text) and r.buttons)
    assert isinstance(ask, Text)
    yes = _button(ask.buttons, "delete everything")
    done = [r async for r in web_harness.conversation.handle(ada, ButtonPressed(yes))]
    assert any("records are deleted" in getattr(r, "text", "") for r in done)
    async with browser.get("/api/messages") as response:
        assert response.status == 401


async def test_delete_in_a_chat_also_erases_what_the_linked_web_account_made(web_harness: WebHarness) -> None:
    """ "This deletes ALL your photos": also those the chat user uploaded on the web after /web."""
    links = web_harness.studio.links
    links.base_url = web_harness.address
    link = links.sign_in("telegram", "78")
    assert link is not None
    browser = web_harness.client()
    await sign_in(browser, link.removeprefix(web_harness.address))
    job_id = album_of(web_harness, "web", "telegram-78", b"\xff\xd8web")
    album_of(web_harness, "telegram", "78", b"\xff\xd8chat")
    stranger = web_harness.client()
    await csrf_of(stranger)
    album_of(web_harness, "web", "telegram-79", b"\xff\xd8someone else")
    ada = ChatRef("telegram", "78", "78", "Ada", private_chat_id="78")
    replies = [r async for r in web_harness.conversation.handle(ada, Command("delete"))]
    ask = next(r for r in replies if isinstance(r, Text) and r.buttons)
    assert isinstance(ask, Text)
    done = [
        r async for r in web_harness.conversation.handle(ada, ButtonPressed(_button(ask.buttons, "delete")))
    ]
    assert any("2 files" in getattr(r, "text", "") for r in done), done
    with web_harness.db.session() as session:
        owners = {(u.platform, u.platform_user_id) for u in session.exec(select(User).join(Job)).all()}
    assert owners == {("web", "telegram-79")}, "the chat's and the web account's jobs are gone, no one else's"
    async with browser.get(f"/album/{job_id}") as response:
        assert response.status == 404


async def test_a_sign_in_link_asks_first_works_once_and_only_from_its_own_page(
    tmp_path: Path, web_engines: tuple[EngineResources, EngineResources]
) -> None:
    """Opening a link signs nobody in (a chat's link preview, or a page that navigates a
    victim to the attacker's own link, must not); the page's button does, from this origin
    only, once."""
    harness = await start_studio(tmp_path / "data", web_engines, public_url="https://studio.example")
    try:
        link = harness.studio.links.sign_in("telegram", "77")
        assert link is not None
        path = link.removeprefix("https://studio.example")
        assert path.startswith("/signin#t="), "the token is in the fragment: no server or log sees it"
        previewer = harness.client()
        async with previewer.get(path.replace("#", "?")) as response:
            assert response.status == 200
            assert "Set-Cookie" not in response.headers, "a GET signs nobody in"
            page = await response.text()
        assert 'method="post"' in page
        assert "/signin?t=" not in page.split("<form", 1)[1].split(">", 1)[0], "the token goes in the body"
        token = path.split("t=", 1)[1]

        victim = harness.client()
        evil = {"Origin": "https://evil.example"}
        foreigners = (evil, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"})
        for foreign in foreigners:
            async with victim.post("/signin", data={"t": token}, headers=foreign, allow_redirects=False) as r:
                assert r.status == 403, foreign
                assert "Set-Cookie" not in r.headers

        browser = harness.client()
        own = {"Origin": "https://studio.example", "Sec-Fetch-Site": "same-origin"}
        async with browser.post("/signin", data={"t": token}, headers=own, allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"] == "/"
            assert harness.studio.links.session_user(r.cookies["hs_session"].value) == "telegram-77"
        again = harness.client()
        async with again.post("/signin", data={"t": token}, headers=own, allow_redirects=False) as r:
            assert r.status == 403, "a sign-in link works once"
        async with again.get(path.replace("#", "?")) as response:
            assert response.status == 403, "a used link, given as a query, is refused on sight"
    finally:
        await harness.stop()


async def test_the_team_dashboard_reaches_its_own_team_only_and_reminds_once(
    web_harness: WebHarness, person_a_paths: list[Path]
) -> None:
    jpeg = person_a_paths[0].read_bytes()
    team, organiser = three_member_team(web_harness, jpeg)
    other, other_organiser = three_member_team(web_harness, jpeg, names=("Org2", "Dee", "Eve", "Fay"))
    assert team.id is not None
    assert other.id is not None
    links = web_harness.studio.links
    web_harness.studio.links.base_url = web_harness.address
    mine = (links.team(team.id, organiser) or "").removeprefix(web_harness.address)
    theirs_by_me = (links.team(other.id, organiser) or "").removeprefix(web_harness.address)
    organiser_page = web_harness.client()
    async with organiser_page.get(theirs_by_me) as response:
        assert response.status == 404, "a link for team B signed with A's organiser opens nothing"
    async with organiser_page.get(mine) as response:
        assert response.status == 200
        page = await response.text()
    other_members = [m.id for m in web_harness_members(web_harness, other.id)]
    for member_id in other_members:
        async with organiser_page.get(f"{mine}/m/{member_id}.jpg") as response:
            assert response.status == 404, "B's member through A's dashboard"
    csrf = page.split("name='csrf' value='", 1)[1].split("'", 1)[0]
    async with organiser_page.post(f"{mine}/remind", data={}, allow_redirects=False) as response:
        assert response.status == 403
    pending = web_harness.conversation.teams.pending
    for _ in range(3):
        async with organiser_page.post(f"{mine}/remind", data={"csrf": csrf}, allow_redirects=False) as r:
            assert r.status == 303
    assert [item.chat_id for _, item in pending] == ["bea"], "pressing again does not spam the members"
    del other_organiser


async def test_the_dashboard_asks_only_a_member_with_an_album_for_a_redo(
    web_harness: WebHarness, person_a_paths: list[Path]
) -> None:
    team, organiser = three_member_team(web_harness, person_a_paths[0].read_bytes())
    assert team.id is not None
    web_harness.studio.links.base_url = web_harness.address
    path = (web_harness.studio.links.team(team.id, organiser) or "").removeprefix(web_harness.address)
    client = web_harness.client()
    async with client.get(path) as response:
        page = await response.text()
    csrf = page.split("name='csrf' value='", 1)[1].split("'", 1)[0]
    bea = next(m for m in web_harness_members(web_harness, team.id) if m.display_name == "Bea")
    async with client.post(f"{path}/redo/{bea.id}", data={"csrf": csrf}, allow_redirects=False) as response:
        assert response.status == 404, "Bea has no album to redo"
    assert not web_harness.conversation.teams.pending


def web_harness_members(harness: WebHarness, team_id: int) -> list[TeamMember]:
    with harness.db.session() as session:
        return list(session.exec(select(TeamMember).where(TeamMember.team_id == team_id)))


def _button(rows: Keyboard | list[list[dict[str, str]]], label: str) -> str:
    for row in rows:
        for button in row:
            if isinstance(button, dict):
                text, data = button["label"], button["data"]
            else:
                text, data = button.label, button.data
            if label.lower() in text.lower():
                return data
    msg = f"no button {label!r} in {rows!r}"
    raise AssertionError(msg)


def _cookie(client: object) -> str:
    jar = client.cookie_jar  # type: ignore[attr-defined]
    return next(str(c.value) for c in jar if c.key == "hs_session")


async def test_paths_outside_the_static_folder_are_not_served(web_harness: WebHarness) -> None:
    client = web_harness.client()
    for path in ("/static/../studio.py", "/static/..%2fstudio.py", "/static/%2e%2e/studio.py", "/static/"):
        async with client.get(path) as response:
            assert response.status in (403, 404), path
            assert "WebStudio" not in await response.text()
    async with client.get("/files/..%2f..%2fsecurity.py/x") as response:
        assert response.status in (401, 404)


async def test_many_chats_together_keep_no_more_than_the_studios_file_budget() -> None:
    budget = FileBudget(limit=3_000)
    chats = [WebChat(f"user{i}", budget=budget) for i in range(3)]
    urls = [chat.keep_file(b"x" * 1_000, "a.jpg", download=False) for chat in chats]
    late = chats[0].keep_file(b"y" * 1_000, "b.jpg", download=False)
    assert budget.total == 3_000
    kept = [file_id for chat in chats for file_id in chat.files]
    assert urls[0].split("/")[2] not in kept, "the oldest file of any chat went first"
    assert late.split("/")[2] in kept
    await chats[1].forget()
    assert budget.total == 2_000


async def test_bound_to_every_address_without_a_public_url_needs_a_sign_in(
    tmp_path: Path, web_engines: tuple[EngineResources, EngineResources]
) -> None:
    harness = await start_studio(tmp_path / "data", web_engines, web_host="0.0.0.0")
    try:
        assert not harness.studio.gate.open
        local = harness.client()
        async with local.get("/") as response:
            assert response.status == 401, "even from this machine: sign-in links only"
        async with local.get("/api/messages") as response:
            assert response.status == 401
        said = studio_announcement(harness.studio, harness.address)
        assert any("HEADSHOTS_PUBLIC_URL is not set" in line for line in said), said
        assert "Secure" not in (await _signed_in_cookie_header(harness, said[-1]))
    finally:
        await harness.stop()
    harness = await start_studio(tmp_path / "data2", web_engines, public_url="http://studio.example")
    try:
        said = studio_announcement(harness.studio, harness.address)
        assert any("plain http" in line for line in said), said
    finally:
        await harness.stop()


async def _signed_in_cookie_header(harness: WebHarness, line: str) -> str:
    token = line.rsplit("t=", 1)[1]
    async with harness.client().post("/signin", data={"t": token}, allow_redirects=False) as response:
        assert response.status == 303
        return response.headers["Set-Cookie"]


async def test_names_people_chose_are_text_on_the_pages_never_markup(
    web_harness: WebHarness, person_a_paths: list[Path]
) -> None:
    script = "<script>alert(1)</script>"
    image = "<img src=x onerror=alert(1)>"
    team, organiser = three_member_team(
        web_harness, person_a_paths[0].read_bytes(), names=(script, image, "Bea'><b>", 'Cy"<i>')
    )
    assert team.id is not None
    with web_harness.db.session() as session:
        row = session.get(Team, team.id)
        assert row is not None
        row.name = f"Acme {script}"
        row.params = {**row.params, "style_label": image}
        session.add(row)
        session.commit()
    web_harness.studio.links.base_url = web_harness.address
    path = (web_harness.studio.links.team(team.id, organiser) or "").removeprefix(web_harness.address)
    async with web_harness.client().get(path) as response:
        assert response.status == 200
        page = await response.text()
    for raw in (script, image, "'><b>", '"<i>'):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script") == 0, "the dashboard runs no script at all"


async def test_one_user_cannot_hold_many_uploads_open_at_once(web_harness: WebHarness) -> None:
    """The page uploads one photo at a time; a script that opens dozens of slow uploads (each
    up to the upload limit in memory) is told to wait (429) without its body being read."""
    client = web_harness.client()
    headers = {"X-CSRF-Token": await csrf_of(client), "Content-Type": "image/jpeg"}
    release, all_held = asyncio.Event(), asyncio.Event()
    started = [asyncio.Event() for _ in range(MAX_PARALLEL_UPLOADS)]
    studio, entered = web_harness.studio, []
    reading = studio._photo

    async def counted(request: Any, user: str) -> Any:
        entered.append(user)
        if len(entered) == MAX_PARALLEL_UPLOADS:
            all_held.set()
        return await reading(request, user)

    studio._photo = counted  # type: ignore[method-assign]

    def slow(index: int) -> AsyncIterator[bytes]:
        async def body() -> AsyncIterator[bytes]:
            yield b"\xff\xd8"
            started[index].set()
            await release.wait()
            yield b"not really a photo"

        return body()

    held = [
        asyncio.create_task(client.post("/api/photo", data=slow(i), headers=headers))
        for i in range(MAX_PARALLEL_UPLOADS)
    ]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 30)
    user = _user_of(web_harness, client)
    await asyncio.wait_for(all_held.wait(), 30)
    assert web_harness.studio.uploading[user] == MAX_PARALLEL_UPLOADS
    async with client.post("/api/photo", data=b"\xff\xd8", headers=headers) as response:
        assert response.status == 429
    other = web_harness.client()
    other_headers = {**headers, "X-CSRF-Token": await csrf_of(other)}
    async with other.post("/api/photo", data=b"\xff\xd8", headers=other_headers) as response:
        assert response.status == 200, "another user is not held up"
    release.set()
    for response in await asyncio.gather(*held):
        assert response.status == 200
        response.release()
    async with client.post("/api/photo", data=b"\xff\xd8", headers=headers) as response:
        assert response.status == 200, "the count goes back down"


def _user_of(harness: WebHarness, client: object) -> str:
    user = harness.studio.links.session_user(_cookie(client))
    assert user is not None
    return user
