"""`headshots serve`: a clear message without a token; with one, the whole wiring answers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import discord
from alembic.script import ScriptDirectory
from discord.gateway import DiscordWebSocket

from bot.serve import HOW_TO_CONFIGURE, serve, web_studio_wanted
from bot.settings import Settings
from storage.database import Database
from tests.emulators.discord import DiscordEmulator
from tests.emulators.telegram import TOKEN, TelegramEmulator


def test_missing_token_says_where_to_get_it_and_where_to_put_it() -> None:
    assert "@BotFather" in HOW_TO_CONFIGURE
    assert "HEADSHOTS_TELEGRAM_TOKEN=" in HOW_TO_CONFIGURE
    assert ".env" in HOW_TO_CONFIGURE
    assert "web studio" in HOW_TO_CONFIGURE


def test_the_web_studio_runs_without_tokens_or_beside_the_bots_when_its_port_is_set(tmp_path: Path) -> None:
    def wanted(**values: object) -> bool:
        return web_studio_wanted(Settings(_env_file=None, data_dir=tmp_path, **values))  # type: ignore[arg-type]

    assert wanted()
    assert not wanted(telegram_token="t")
    assert not wanted(discord_token="d")
    assert wanted(telegram_token="t", web_port=8080)
    assert wanted(discord_token="d", web_port=0)


async def test_serve_without_a_token_runs_the_web_studio_on_loopback(tmp_path: Path) -> None:
    """`make serve` on a fresh machine: no token, no configuration, a studio in the browser."""

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", web_port=0)  # type: ignore[call-arg]
    said: list[str] = []
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, announce=said.append))
    try:
        for _ in range(900):
            if said or task.done():
                break
            await asyncio.sleep(0.1)
        assert said, "the address was announced"
        address = said[0].split()[2].rstrip("/")
        assert address.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(address + "/") as response:
                assert response.status == 200
                assert "Headshot Studio" in await response.text()
            async with http.get(address + "/api/messages") as response:
                body = await response.json()
        assert any("selfies" in m["text"] for m in body["messages"])
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


async def test_serve_wires_database_engine_queue_and_bot(tmp_path: Path) -> None:
    emulator = TelegramEmulator()
    await emulator.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        telegram_token=TOKEN,
        telegram_base_url=emulator.base_url,
        telegram_base_file_url=emulator.base_file_url,
        web_port=0,
    )
    said: list[str] = []
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, announce=said.append))
    try:
        user = emulator.user(3001)
        await user.send_text("/help")
        reply = await emulator.wait_for(
            lambda c: c.method == "sendMessage" and "/delete" in c.text, wait_s=90
        )
        assert reply.chat_id == "3001"
        assert any(c.method == "setMyCommands" for c in emulator.calls)
        commands = next(c for c in emulator.calls if c.method == "setMyCommands").params["commands"]
        assert "web" in str(commands)
        # HEADSHOTS_WEB_PORT set: the web studio runs beside the bot, on the same conversation.
        assert said, "the web studio's address was announced"
        await user.send_text("/web")
        link = await emulator.wait_for(lambda c: c.method == "sendMessage" and "/signin#t=" in c.text)
        url = link.text.rsplit(": ", 1)[1]
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http, http.get(url) as response:
            assert response.status == 200
            assert "Headshot Studio" in await response.text()
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        await emulator.stop()
    db = Database(settings.effective_database_url)
    head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("select version_num from alembic_version").scalar() == head
    db.dispose()


async def test_serve_runs_the_discord_bot_beside_telegram(tmp_path: Path, faces_dir: Path) -> None:
    """With only a Discord token, serve answers slash commands (and starts no Telegram bot)."""
    original_base, original_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    async with DiscordEmulator(faces_dir) as emulator:
        guild = emulator.add_guild("Serve Test")
        member = emulator.add_member("sam")
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp_path / "data",
            discord_token="discord-token",
            discord_api_base=emulator.api_base,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop=stop))
        try:
            await emulator.wait_for(lambda: emulator.commands, within=90, what="slash commands synced")
            asked = await emulator.slash(member, emulator.channel_id(guild, "general"), "headshot", "help")
            answer = await emulator.wait_for(
                lambda: [m for m in emulator.interaction_messages(asked) if m.text()], what="the help text"
            )
            assert "/delete" in answer[0].text()
            assert answer[0].ephemeral
        finally:
            stop.set()
            await asyncio.wait_for(task, 60)
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original_base, original_gateway


async def test_serve_exposes_health_and_metrics_when_a_port_is_set(tmp_path: Path) -> None:
    import socket

    from tests.handlers.telegram.test_metrics import sample

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    emulator = TelegramEmulator()
    await emulator.start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        telegram_token=TOKEN,
        telegram_base_url=emulator.base_url,
        telegram_base_file_url=emulator.base_file_url,
        metrics_port=port,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop))
    try:
        await emulator.user(3002).send_text("/help")
        await emulator.wait_for(lambda c: c.method == "sendMessage" and "/delete" in c.text, wait_s=90)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
                assert await response.json() == {"ok": True, "checks": {"database": True}}
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
        assert sample(text, "headshots_reply_seconds_count", platform="telegram") == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        await emulator.stop()
