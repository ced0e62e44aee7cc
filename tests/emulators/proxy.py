"""A round-robin reverse proxy on loopback: what a load balancer in front of bot processes does.

Telegram posts every update to one webhook URL; the proxy hands each request to the next bot
process in turn, forwarding the secret-token header. Used by the two-process test and by
`bench/load_test.py --serve-processes N`.
"""

from __future__ import annotations

import itertools
import socket

import aiohttp
from aiohttp import web


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RoundRobinProxy:
    """What a load balancer in front of the bot processes does: each request to the next one."""

    def __init__(self, backends: list[str]) -> None:
        self._next = itertools.cycle(backends)
        self.port = free_port()
        self.sent_to: list[str] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        backend = next(self._next)
        self.sent_to.append(backend)
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        body = await request.read()
        url = f"{backend}{request.path}"
        async with self._session.post(
            url, data=body, headers={**headers, "Content-Type": "application/json"}
        ) as answer:
            return web.Response(status=answer.status, body=await answer.read())
