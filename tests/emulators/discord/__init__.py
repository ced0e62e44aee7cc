"""A loopback emulator of the parts of the Discord HTTP API and gateway our bot uses.

The real discord.py client connects to it: point `discord.http.Route.BASE` at `api_base` and
the gateway at `gateway_url` (the emulator also answers `GET /gateway/bot` with it). Tests
script what members do (slash commands, button presses, select menus, messages with
attachments served from real files) and read back every REST call the bot made, with the
messages it posted, edited, or sent as files.

Only what the bot needs is emulated, but it is emulated faithfully: real payload shapes,
multipart uploads, interaction callbacks and webhook follow-ups, DM channel creation and the
50007 error Discord returns when a member's DMs are closed.
"""

from __future__ import annotations

from aiohttp import web

from tests.emulators.discord.gateway import GatewaySide
from tests.emulators.discord.payloads import API_PREFIX, Call, ChannelOption, Member, Message
from tests.emulators.discord.rest import RestSide

__all__ = ["Call", "ChannelOption", "DiscordEmulator", "Member", "Message"]


class DiscordEmulator(RestSide, GatewaySide):
    """One application, one bot user, guilds with text channels, members, DMs.

    Use as `async with DiscordEmulator(files_root) as emu:`; then `emu.api_base` and
    `emu.gateway_url` are live. `files_root` is the folder attachments are served from.
    """

    async def __aenter__(self) -> DiscordEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/files/{key}/{name}", self._serve_file)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for ws in {*self._shards.values(), *([self._ws] if self._ws is not None else [])}:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
