"""Metrics after a real flow: a user's selfies to a delivered album on the emulator, then
`/metrics` and `/healthz` scraped over HTTP as Prometheus would."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import aiohttp

from bot.observability import Metrics, observed
from tests.handlers.telegram.conftest import Harness
from tests.handlers.telegram.helpers import reply_to, style_button


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))).strip(",") == wanted:
            return float(match.group(2))
    return 0.0


async def test_a_delivered_album_shows_up_in_the_metrics(
    bot_harness: Harness, person_a_paths: list[Path]
) -> None:
    port = _free_port()
    settings = bot_harness.settings.model_copy(update={"metrics_port": port})
    async with observed(settings, bot_harness.db, gauge_interval_s=0.2) as metrics:
        assert isinstance(metrics, Metrics)
        bot_harness.metrics = metrics
        await bot_harness.restart()  # the bot and the embedded worker now record into `metrics`
        emu = bot_harness.emulator
        user = emu.user(3101, "Met")
        await user.send_album([p.read_bytes() for p in person_a_paths], group_id="m")
        verdict = await reply_to(emu, user, "6 of 6 good photos")
        await user.press(verdict, verdict.button("choose a style")["callback_data"])
        picker = await reply_to(emu, user, "Pick a style")
        await user.press(picker, style_button(picker, "corporate"))
        preview = await reply_to(emu, user, "studio retouch", method="sendPhoto")
        await user.press(preview, preview.button("looks good")["callback_data"])
        summary = await reply_to(emu, user, "Place the order?")
        await user.press(summary, summary.button("generate")["callback_data"])
        await reply_to(emu, user, "Want more?", wait_s=120)
        await asyncio.sleep(0.6)  # a gauge refresh after the job finished

        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                text = await response.text()
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                health = await response.json()
    assert health == {"ok": True, "checks": {"database": True}}
    assert sample(text, "headshots_verdicts_total", code="ok") == 6
    assert sample(text, "headshots_verdicts_total", code="low_resolution") >= 1
    assert (
        sample(text, "headshots_reply_seconds_count", platform="telegram") >= 4
    )  # verdict, picker, preview...
    assert sample(text, "headshots_deliveries_total", platform="telegram", outcome="sent") == 1
    assert sample(text, "headshots_stage_seconds_count", stage="generate") == 1
    assert sample(text, "headshots_jobs", state="done") == 1
    assert sample(text, "headshots_queue_depth") == 0
