"""The Mermaid diagram in docs/conversation.md draws exactly the states in the code."""

from __future__ import annotations

import re
from pathlib import Path

from conversations.shared import states

DOC = Path(__file__).resolve().parents[2] / "docs" / "conversation.md"
TRANSITION = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::.*)?$")


def _diagram() -> list[tuple[str, str]]:
    text = DOC.read_text()
    block = text.split("```mermaid", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    assert lines[0].strip() == "stateDiagram-v2"
    edges = []
    for line in lines[1:]:
        match = TRANSITION.match(line)
        assert match, f"not a transition: {line!r}"
        edges.append((match.group(1), match.group(2)))
    return edges


def test_diagram_states_match_the_constants() -> None:
    drawn = {state for edge in _diagram() for state in edge} - {"[*]"}
    assert drawn == set(states.STATES)


def test_every_state_is_reachable_and_can_be_left() -> None:
    edges = _diagram()
    for state in states.STATES:
        assert any(dst == state for _, dst in edges), f"{state} is never entered"
        assert any(src == state and dst != state for src, dst in edges), f"{state} is never left"


def test_state_constants_are_distinct_strings_that_fit_the_column() -> None:
    assert len(set(states.STATES)) == len(states.STATES)
    assert all(len(s) <= 32 for s in states.STATES)
