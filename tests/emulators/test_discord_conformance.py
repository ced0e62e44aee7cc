"""The Discord emulator refuses what Discord refuses, with Discord's own answers.

Each test sends one violating request straight to the emulator's REST API, as any client
would, and checks the status and error code (citations in `tests/emulators/discord/limits.py`).
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.emulators.discord import DiscordEmulator, limits


@pytest.fixture
async def emu(tmp_path: Path) -> AsyncIterator[DiscordEmulator]:
    async with DiscordEmulator(tmp_path) as emulator:
        yield emulator


async def post(
    emu: DiscordEmulator, path: str, body: dict[str, Any], files: dict[str, bytes] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with aiohttp.ClientSession() as session:
        if files:
            form = aiohttp.FormData()
            form.add_field("payload_json", json.dumps(body), content_type="application/json")
            for index, (name, data) in enumerate(files.items()):
                form.add_field(f"files[{index}]", io.BytesIO(data), filename=name)
            request = session.post(emu.api_base + path, data=form)
        else:
            request = session.post(emu.api_base + path, json=body)
        async with request as response:
            return response.status, await response.json(), dict(response.headers)


def channel(emu: DiscordEmulator) -> str:
    guild = emu.add_guild("Test server")
    return f"/channels/{emu.channel_id(guild, 'general')}/messages"


async def test_content_is_at_most_2000_characters(emu: DiscordEmulator) -> None:
    path = channel(emu)
    assert (await post(emu, path, {"content": "x" * 2000}))[0] == 200
    status, body, _ = await post(emu, path, {"content": "x" * 2001})
    assert (status, body["code"]) == (400, 50035)


@pytest.mark.parametrize(
    "embed",
    [
        {"title": "t" * 257},
        {"description": "d" * 4097},
        {"fields": [{"name": "n", "value": "v"}] * 26},
        {"fields": [{"name": "n", "value": "v" * 1025}]},
        {"footer": {"text": "f" * 2049}},
        {"description": "d" * 4000, "fields": [{"name": "n" * 256, "value": "v" * 1024}] * 2},
    ],
    ids=["title", "description", "field-count", "field-value", "footer", "total-6000"],
)
async def test_embed_limits(emu: DiscordEmulator, embed: dict[str, Any]) -> None:
    status, body, _ = await post(emu, channel(emu), {"embeds": [embed]})
    assert (status, body["code"]) == (400, 50035)


async def test_more_than_10_embeds_are_refused(emu: DiscordEmulator) -> None:
    status, _, _ = await post(emu, channel(emu), {"embeds": [{"title": "t"}] * 11})
    assert status == 400


def button(custom_id: str, label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


@pytest.mark.parametrize(
    "components",
    [
        [{"type": 1, "components": [button(f"b{r}")]} for r in range(6)],
        [{"type": 1, "components": [button(f"b{c}") for c in range(6)]}],
        [{"type": 1, "components": [button("x" * 101)]}],
        [{"type": 1, "components": [button("ok", label="l" * 81)]}],
        [
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "custom_id": "s",
                        "options": [{"label": f"o{i}", "value": str(i)} for i in range(26)],
                    }
                ],
            }
        ],
        [
            {
                "type": 1,
                "components": [
                    {"type": 3, "custom_id": "s", "options": [{"label": "o" * 101, "value": "1"}]}
                ],
            }
        ],
        [
            {
                "type": 1,
                "components": [
                    button("a"),
                    {"type": 3, "custom_id": "s", "options": [{"label": "o", "value": "1"}]},
                ],
            }
        ],
    ],
    ids=[
        "6-rows",
        "6-buttons",
        "custom-id-101",
        "label-81",
        "26-options",
        "option-label-101",
        "select-shares-row",
    ],
)
async def test_component_limits(emu: DiscordEmulator, components: list[dict[str, Any]]) -> None:
    status, body, _ = await post(emu, channel(emu), {"content": "pick", "components": components})
    assert (status, body["code"]) == (400, 50035)


async def test_at_most_10_files_of_10_mib_each(emu: DiscordEmulator) -> None:
    path = channel(emu)
    eleven = {f"f{i}.jpg": b"x" for i in range(11)}
    assert (await post(emu, path, {"content": "files"}, eleven))[0] == 400
    big = {"big.jpg": b"\0" * (limits.FILE_BYTES + 1)}
    status, body, _ = await post(emu, path, {"content": "big"}, big)
    assert (status, body["code"]) == (413, 40005)
    assert (await post(emu, path, {"content": "ok"}, {"ok.jpg": b"\0" * limits.FILE_BYTES}))[0] == 200


async def test_allowed_mentions_decide_whether_everyone_is_pinged(emu: DiscordEmulator) -> None:
    path = channel(emu)
    await post(emu, path, {"content": "Team @everyone is ready"})
    await post(emu, path, {"content": "Team @everyone is ready", "allowed_mentions": {"parse": []}})
    pinged, silent = emu.bot_messages()[-2:]
    assert pinged.mention_everyone
    assert not silent.mention_everyone


async def test_rate_limited_routes_answer_429_with_the_documented_headers(emu: DiscordEmulator) -> None:
    path = channel(emu)
    emu.rate_limits.limit(f"POST {path}", 2, 5.0)
    first = await post(emu, path, {"content": "1"})
    assert first[2]["X-RateLimit-Remaining"] == "1"
    await post(emu, path, {"content": "2"})
    status, body, headers = await post(emu, path, {"content": "3"})
    assert status == 429
    assert body["retry_after"] > 0
    assert body["global"] is False
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-After", "Retry-After"} <= set(
        headers
    )


async def test_an_interaction_answered_after_3_seconds_is_unknown(emu: DiscordEmulator) -> None:
    guild = emu.add_guild("Test server")
    member = emu.add_member("ana")
    payload = emu.open_interaction(member, emu.channel_id(guild, "general"), 2, {"name": "headshot"})
    emu.interactions[int(payload["id"])]["created"] -= 3.5
    path = f"/interactions/{payload['id']}/{payload['token']}/callback"
    status, body, _ = await post(emu, path, {"type": 4, "data": {"content": "late"}})
    assert (status, body["code"]) == (404, 10062)


async def test_follow_ups_use_a_token_valid_for_15_minutes(emu: DiscordEmulator) -> None:
    guild = emu.add_guild("Test server")
    member = emu.add_member("ana")
    payload = emu.open_interaction(member, emu.channel_id(guild, "general"), 2, {"name": "headshot"})
    callback = f"/interactions/{payload['id']}/{payload['token']}/callback"
    assert (await post(emu, callback, {"type": 5}))[0] == 200
    emu.interactions[int(payload["id"])]["created"] -= 15 * 60 + 1
    status, body, _ = await post(
        emu, f"/webhooks/{emu.application_id}/{payload['token']}", {"content": "done"}
    )
    assert (status, body["code"]) == (401, 50027)
