"""Album pages: every result of one order in full resolution, and a ZIP of them all.

Two ways in, one page: a web user's own album at `/album/<job>` (their session cookie must
own the job), and a chat user's at `/a/<token>` (the signed, expiring link the album message
carried). Both are checked against the database on every request: after /delete the job is
gone and so is the page. Files are the stored results byte for byte, not recompressed.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from dataclasses import dataclass
from html import escape

from aiohttp import web

from conversations.i18n.translate import tr, tr_n
from conversations.shared import messages as msg
from conversations.shared.delivery import job_results
from conversations.shared.services import Services
from handlers.web.links import PLATFORM, WebLinks
from handlers.web.pages import TITLE, gallery, page
from handlers.web.security import Gate
from storage.models import Job, JobState, Result, User


@dataclass(frozen=True)
class Album:
    job: Job
    results: list[Result]
    base: str
    """The path its files hang under (`/album/<job>` or `/a/<token>`)."""


class AlbumPages:
    def __init__(self, services: Services, links: WebLinks, gate: Gate) -> None:
        self.services = services
        self.db = services.db
        self.links = links
        self.gate = gate

    def wire(self, app: web.Application) -> None:
        for prefix in ("/album/{job_id}", "/a/{token}"):
            app.router.add_get(prefix, self.page)
            app.router.add_get(prefix + "/album.zip", self.zip)
            app.router.add_get(prefix + "/{rank:[0-9]+}.jpg", self.image)

    def _owned(self, job_id: str, platform: str, user_id: str) -> Job | None:
        with self.db.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.state != JobState.DONE:
                return None
            owner = session.get(User, job.user_id)
        if owner is None or owner.platform != platform or owner.platform_user_id != user_id:
            return None
        return job

    async def _album(self, request: web.Request) -> Album:
        """The album the request may see, or 404 (never 403: a guess learns nothing)."""
        token = request.match_info.get("token")
        if token is not None:
            grant = self.links.album_grant(token)
            if grant is None:
                raise web.HTTPNotFound
            platform, user_id, job_id, base = grant.platform, grant.user_id, grant.job_id, f"/a/{token}"
        else:
            web_user = self.gate.web_user(request)
            if web_user is None:
                raise web.HTTPNotFound
            job_id = request.match_info["job_id"]
            platform, user_id, base = PLATFORM, web_user, f"/album/{job_id}"
        job = await asyncio.to_thread(self._owned, job_id, platform, user_id)
        if job is None:
            raise web.HTTPNotFound
        results = await asyncio.to_thread(job_results, self.db, job.id)
        return Album(job, results, base)

    async def page(self, request: web.Request) -> web.StreamResponse:
        album = await self._album(request)
        styles = self.services.engine.styles
        label = tr(styles.get(album.job.style).label) if album.job.style in styles else album.job.style
        words = msg.RETOUCH_ALBUM_READY if album.job.backend == "preview" else msg.ALBUM_READY
        headline = tr_n(words, len(album.results)).format(style=label, count=len(album.results))
        items = [
            (f"{album.base}/{r.rank}.jpg", f"#{r.rank}", f"{album.base}/{r.rank}.jpg") for r in album.results
        ]
        body = (
            f"<main class='page'><h1>{escape(headline)}</h1>"
            f"<p><a class='zip' href='{album.base}/album.zip' download>ZIP</a></p>{gallery(items)}</main>"
        )
        return web.Response(text=page(TITLE, body), content_type="text/html")

    async def image(self, request: web.Request) -> web.StreamResponse:
        album = await self._album(request)
        rank = int(request.match_info["rank"])
        result = next((r for r in album.results if r.rank == rank), None)
        if result is None:
            raise web.HTTPNotFound
        data = await asyncio.to_thread(self.services.store.get_bytes, result.store_key)
        disposition = "attachment" if "download" in request.query else "inline"
        return web.Response(
            body=data,
            content_type="image/jpeg",
            headers={"Content-Disposition": f'{disposition}; filename="headshot_{rank:02d}.jpg"'},
        )

    async def zip(self, request: web.Request) -> web.StreamResponse:
        album = await self._album(request)
        data = await asyncio.to_thread(self._zip, album)
        return web.Response(
            body=data,
            content_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="headshots.zip"'},
        )

    def _zip(self, album: Album) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for result in album.results:
                archive.writestr(
                    f"headshot_{result.rank:02d}.jpg", self.services.store.get_bytes(result.store_key)
                )
        return buffer.getvalue()
