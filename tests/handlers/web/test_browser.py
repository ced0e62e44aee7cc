"""The web studio in a real browser: Debian's Chromium driven by Playwright.

One browser for the module and one studio (the real engine, preview backend, embedded
worker); each test opens its own browser contexts (a context is a browser profile: its own
cookies). Screenshots of the main screens go to `HEADSHOTS_SCREENSHOTS` (a folder), else to
this run's pytest temporary folder (docs/web.md says how to regenerate them).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlmodel import col, select

from conversations.shared import messages as msg
from engine.pipeline import EngineResources
from storage.models import Job, JobState, Result
from tests.handlers.web.conftest import WebHarness, start_studio, three_member_team

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHROMIUM = os.environ.get("HEADSHOTS_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("HEADSHOTS_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def studio(
    tmp_path_factory: pytest.TempPathFactory, web_engines: tuple[EngineResources, EngineResources]
) -> AsyncIterator[WebHarness]:
    harness = await start_studio(tmp_path_factory.mktemp("web") / "data", web_engines)
    yield harness
    await harness.stop()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (or set HEADSHOTS_CHROMIUM)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


def bot(page: Page, text: str) -> Any:
    """The last message from the bot that contains `text`."""
    return page.locator(".msg.bot", has_text=text).last


async def press(page: Page, label: str) -> None:
    await page.get_by_role("button", name=label, exact=True).last.click()


async def test_selfies_to_album_and_full_resolution_download(
    studio: WebHarness,
    browser: Browser,
    person_a_paths: list[Path],
    faces_dir: Path,
    screenshots: Path,
) -> None:
    context = await browser.new_context(base_url=studio.address, viewport={"width": 900, "height": 1000})
    page = await context.new_page()
    await page.goto("/")
    await expect(bot(page, "photos of just you")).to_be_visible()

    impostor = faces_dir / "people" / "obama_1.jpg"
    await page.set_input_files("#files", [*map(str, person_a_paths), str(impostor)])
    last = len(person_a_paths) + 1
    verdict = bot(page, f"Photo {last} ")
    await expect(verdict).to_be_visible(timeout=WAIT_MS)
    assert "looks like a different person" in await verdict.inner_text()
    assert "6 of 6 good photos" in await verdict.inner_text()
    texts = await page.locator(".msg.bot").all_inner_texts()
    for number in range(1, last + 1):
        assert sum(f"Photo {number}" in t for t in texts) == 1, f"one verdict for photo {number}"
    assert any("Photo 4: The photo is only 330x512 pixels" in t for t in texts)
    await page.screenshot(path=screenshots / "1-verdicts.png", full_page=True)

    await press(page, msg.CHOOSE_STYLE)
    await expect(bot(page, msg.STYLE_PICKER_ONE_PAGE)).to_be_visible()
    await press(page, "Corporate")
    preview = page.locator(".msg.image", has_text="retouch").last
    await expect(preview.locator("img")).to_be_visible(timeout=WAIT_MS)
    await page.screenshot(path=screenshots / "2-preview.png", full_page=True)
    await press(page, msg.LOOKS_GOOD)
    await expect(bot(page, "Place the order?")).to_be_visible()
    await press(page, msg.CONFIRM)
    progress = page.locator(".msg.progress").last
    await expect(progress).to_be_visible()
    await page.screenshot(path=screenshots / "3-progress.png", full_page=True)

    gallery = page.locator(".msg.gallery").last
    await expect(gallery.locator("figure")).to_have_count(3, timeout=WAIT_MS)
    assert await gallery.locator("figcaption").all_inner_texts() == ["#1", "#2", "#3"]
    await expect(bot(page, msg.AFTER_ALBUM)).to_be_visible()
    await expect(progress).to_contain_text("100%")
    await page.screenshot(path=screenshots / "4-album.png", full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await page.screenshot(path=screenshots / "4-album-phone.png")
    await page.set_viewport_size({"width": 900, "height": 1000})

    await press(page, msg.FULL_RESOLUTION)
    documents = page.locator(".msg.document a.download")
    await expect(documents).to_have_count(3)
    async with page.expect_download() as download_info:
        await documents.first.click()
    download = await download_info.value
    downloaded = await asyncio.to_thread(Path(await download.path()).read_bytes)
    job, results = _album(studio)
    stored = studio.store.get_bytes(results[0].store_key)
    assert downloaded == stored, "the file as stored, not recompressed"
    assert np.array_equal(_pixels(downloaded), _pixels(stored))
    first_file = await documents.first.get_attribute("href")

    album_url = f"/album/{job.id}"
    await expect(page.locator(f"a[href='{album_url}']")).to_have_count(1)
    await page.goto(album_url)
    await expect(page.locator(".gallery figure")).to_have_count(3)
    await page.screenshot(path=screenshots / "5-album-page.png", full_page=True)
    async with page.expect_download() as zip_info:
        await page.locator("a.zip").click()
    with zipfile.ZipFile(Path(await (await zip_info.value).path())) as archive:
        assert archive.read("headshot_01.jpg") == stored

    # A second browser is another user: the first one's album and files are not found.
    stranger = await browser.new_context(base_url=studio.address)
    other = await stranger.new_page()
    await other.goto("/")
    for url in (album_url, f"{album_url}/1.jpg", f"{album_url}/album.zip", first_file):
        assert url is not None
        response = await other.request.get(url)
        assert response.status == 404, url
    await stranger.close()
    await context.close()


async def test_team_dashboard_shows_each_members_state(
    studio: WebHarness, browser: Browser, person_a_paths: list[Path], screenshots: Path
) -> None:
    team, organiser_id = three_member_team(studio, person_a_paths[0].read_bytes())
    assert team.id is not None
    link = studio.studio.links.team(team.id, organiser_id)
    assert link is not None
    context = await browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = await context.new_page()
    await page.goto(link)
    rows = page.locator("table.members tr")
    await expect(rows).to_have_count(3)
    assert [await r.get_attribute("data-status") for r in await rows.all()] == ["joined", "ready", "picked"]
    await expect(rows.nth(0)).to_contain_text("Ada")
    await expect(rows.nth(1)).to_contain_text("selfies ready")
    await expect(rows.nth(2).locator("img")).to_be_visible()
    await expect(page.locator(".totals")).to_contain_text("Done 1 of 3")
    await page.screenshot(path=screenshots / "6-team-dashboard.png", full_page=True)

    await page.get_by_role("button", name="⏰").click()
    await expect(rows.nth(1).locator(".reminded")).to_have_text("⏰")
    pending = [item for platform, item in studio.conversation.teams.pending if platform == "telegram"]
    assert [item.chat_id for item in pending] == ["bea"], "only who still has to act and has a chat"
    async with page.expect_download() as zip_info:
        await page.locator("a.zip").click()
    with zipfile.ZipFile(Path(await (await zip_info.value).path())) as archive:
        assert any(re.search(r"Cy\.jpg$", name) for name in archive.namelist())

    await page.get_by_role("button", name="Ask Cy for a redo").click()
    await expect(rows.nth(2)).to_have_attribute("data-status", "redo")
    asked = [item for platform, item in studio.conversation.teams.pending if platform == "telegram"]
    assert [item.chat_id for item in asked] == ["bea", "cy"], "Cy is asked, in her chat"

    stranger = await browser.new_context()
    forged = link[:-3] + ("abc" if not link.endswith("abc") else "xyz")
    response = await (await stranger.new_page()).goto(forged)
    assert response is not None
    assert response.status == 404
    await stranger.close()
    await context.close()


async def test_delete_in_the_page_keeps_this_browser_signed_in(studio: WebHarness, browser: Browser) -> None:
    """/delete signs out every other browser of the user; the page that asked keeps going
    (its poll may see the old cookie refused before the button's answer brings a new one)."""
    context = await browser.new_context(base_url=studio.address)
    page = await context.new_page()
    await page.goto("/")
    await expect(bot(page, "photos of just you")).to_be_visible()
    await page.evaluate("window.sameDocument = true")
    cookie = next(c["value"] for c in await context.cookies() if c["name"] == "hs_session")
    user = studio.studio.links.session_user(cookie)
    assert user is not None
    # Force the race: the page's poll is refused the old cookie before the button's answer.
    refused, gate, chat = asyncio.Event(), studio.studio.gate, studio.studio.chats[user]
    reads, posts = gate.web_user, chat.post

    def web_user(request: Any) -> str | None:
        found = reads(request)
        if found is None and request.path == "/api/messages":
            refused.set()
        return found

    async def post(kind: str, text: str, *args: Any) -> str:
        posted = await posts(kind, text, *args)
        if "records are deleted" in text:
            await asyncio.wait_for(refused.wait(), 30)
        return posted

    gate.web_user, chat.post = web_user, post  # type: ignore[method-assign,assignment]
    try:
        await page.get_by_role("button", name="/delete", exact=True).click()
        await press(page, msg.DELETE_YES)
        await expect(bot(page, "records are deleted")).to_be_visible(timeout=WAIT_MS)
        await asyncio.wait_for(refused.wait(), 30)
        await page.get_by_role("button", name="/help", exact=True).click()
        await expect(bot(page, "/delete").last).to_be_visible(timeout=WAIT_MS)
        assert await page.evaluate("window.sameDocument === true"), "the page was not reloaded"
    finally:
        del gate.web_user, chat.post
    await context.close()


async def test_a_sign_in_link_signs_in_from_its_fragment(
    tmp_path: Path, web_engines: tuple[EngineResources, EngineResources], browser: Browser
) -> None:
    """Exposed (bound to every address): the /web link's token is in the fragment; the page's
    script posts it with the button, and the address bar keeps no token."""
    exposed = await start_studio(tmp_path / "data", web_engines, web_host="0.0.0.0")
    try:
        link = exposed.studio.links.sign_in("telegram", "77")
        assert link is not None
        local = "http://127.0.0.1:" + exposed.address.rsplit(":", 1)[1]
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(link.replace(exposed.studio.links.base_url, local))
        assert page.url == f"{local}/signin", "no token left in the address bar"
        await page.get_by_role("button", name="Sign in").click()
        await expect(bot(page, "photos of just you")).to_be_visible(timeout=WAIT_MS)
        cookie = next(c["value"] for c in await context.cookies() if c["name"] == "hs_session")
        assert exposed.studio.links.session_user(cookie) == "telegram-77"
        await context.close()
    finally:
        await exposed.stop()


def _album(harness: WebHarness) -> tuple[Job, list[Result]]:
    with harness.db.session() as session:
        job = session.exec(select(Job).where(Job.platform == "web", Job.state == JobState.DONE)).one()
        results = list(session.exec(select(Result).where(Result.job_id == job.id).order_by(col(Result.rank))))
    return job, results


def _pixels(data: bytes) -> np.ndarray[Any, Any]:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
