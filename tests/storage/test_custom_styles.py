"""Custom styles round-trip through the database, validated on the way in and out."""

from __future__ import annotations

import pytest

from engine.errors import StyleError
from engine.styles import StyleLibrary
from storage.custom_styles import delete_custom_style, load_custom_styles, save_custom_style
from storage.database import Database
from storage.models import CustomStyle, Team, User

SPEC = {
    "name": "Team-Blue",
    "prompt": "headshot of {subject} wearing {attire}, {background}",
    "slots": {"attire": "a blue polo shirt"},
    "variations": {"background": ["a blue wall", "a white wall"]},
}


def _users(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        alice, bob = (
            User(platform="telegram", platform_user_id="1"),
            User(platform="telegram", platform_user_id="2"),
        )
        session.add_all([alice, bob])
        session.flush()
        assert alice.id is not None
        team = Team(
            code="T1", name="Blue", platform="telegram", chat_id="c", organiser_id=alice.id, style="x"
        )
        session.add(team)
        session.flush()
        assert alice.id is not None
        assert bob.id is not None
        assert team.id is not None
        return alice.id, bob.id, team.id


def test_save_load_replace_delete(any_db: Database) -> None:
    alice, bob, team = _users(any_db)
    builtins = StyleLibrary.builtin()
    saved = save_custom_style(any_db, alice, SPEC, team_id=team, reserved=builtins.names())
    assert saved.name == "team-blue"
    save_custom_style(any_db, alice, {**SPEC, "slots": {"attire": "a navy polo"}}, team_id=team)
    loaded = load_custom_styles(any_db, alice)
    assert [t.name for t in loaded] == ["team-blue"]
    assert loaded[0].slots["attire"] == "a navy polo"
    assert load_custom_styles(any_db, bob) == []
    assert [t.name for t in load_custom_styles(any_db, bob, team_id=team)] == ["team-blue"]
    library = builtins.with_custom(loaded)
    assert library.get("team-blue").builtin is False
    assert delete_custom_style(any_db, alice, "Team-Blue")
    assert not delete_custom_style(any_db, alice, "team-blue")
    assert load_custom_styles(any_db, alice) == []


def test_invalid_specs_are_refused_and_stale_rows_skipped(sqlite_db: Database) -> None:
    alice, _, _ = _users(sqlite_db)
    with pytest.raises(StyleError, match="unknown slot"):
        save_custom_style(sqlite_db, alice, {**SPEC, "prompt": "photo of {subject} in {hat}"})
    with sqlite_db.session() as session:
        session.add(CustomStyle(owner_id=alice, name="stale", spec={"name": "stale", "prompt": "no subject"}))
    assert load_custom_styles(sqlite_db, alice) == []
