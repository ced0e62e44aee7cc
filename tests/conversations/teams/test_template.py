"""`/team new` arguments and the team's custom template (validated by the styles module)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conversations.teams.template import TeamRequest, TeamRequestError, parse_team_request, team_style
from engine.styles import StyleLibrary

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_parses_name_and_settings() -> None:
    request = parse_team_request(
        ["Acme", "Design;", "style=Healthcare;", "photos=3;", "deadline=2d;", "backdrop=#1f3a5f"], NOW
    )
    assert request == TeamRequest(
        name="Acme Design", style="healthcare", photos=3, deadline=NOW + timedelta(days=2), backdrop="#1f3a5f"
    )
    assert request.custom


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ([], "give the team a name"),
        (["style=corporate"], "give the team a name"),
        (["A;", "photos=0"], "photos must be a number from 1 to 12"),
        (["A;", "colour=red"], "I don't understand 'colour=red'"),
        (["A;", "deadline=soon"], "deadline='soon' is not a date"),
        (["A;", "deadline=2020-01-01"], "is in the past"),
    ],
)
def test_bad_requests_say_what_to_change(args: list[str], reason: str) -> None:
    with pytest.raises(TeamRequestError, match=reason):
        parse_team_request(args, NOW)


def test_deadline_as_date_and_time() -> None:
    request = parse_team_request(["A;", "deadline=2026-12-01 18:00"], NOW)
    assert request.deadline == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_builtin_style_without_custom_parts() -> None:
    library = StyleLibrary.builtin()
    template, spec = team_style(library, TeamRequest(name="A", style="corporate"), "abc")
    assert template is library.get("corporate")
    assert spec is None


def test_custom_template_pins_backdrop_attire_and_framing() -> None:
    library = StyleLibrary.builtin()
    request = TeamRequest(
        name="Acme", backdrop="#1f3a5f", attire="a green hoodie", framing="chest-up framing"
    )
    template, spec = team_style(library, request, "abc12345")
    assert spec is not None
    assert template.name == "team-abc12345"
    assert not template.builtin
    assert template.postprocess.background == "#1f3a5f"
    assert template.slots["attire"] == "a green hoodie"
    assert template.slots["framing"] == "chest-up framing"
    assert "#1f3a5f" in template.slots["background"]
    for slot in ("attire", "framing", "background"):
        assert slot not in template.variations, "pinned for the whole team"
    assert "lighting" in template.variations, "what the team did not fix still varies"
    assert template.postprocess.colour_grade == library.get("corporate").postprocess.colour_grade


def test_custom_template_errors_come_from_style_validation() -> None:
    library = StyleLibrary.builtin()
    with pytest.raises(TeamRequestError, match="background must be keep, blur or #rrggbb"):
        team_style(library, TeamRequest(name="A", backdrop="navy"), "abc")
    with pytest.raises(TeamRequestError, match="There is no style called 'nope'"):
        team_style(library, TeamRequest(name="A", style="nope"), "abc")
