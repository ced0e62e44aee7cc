"""How an album is split into messages, and the progress bar."""

from __future__ import annotations

import pytest

from conversations.shared.callbacks import Action, CallbackSigner
from conversations.shared.delivery import album_replies, group_sizes
from conversations.shared.keyboards import ButtonMaker
from conversations.shared.messages import progress_bar
from conversations.shared.replies import Image, MediaGroup, Text


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (0, []),
        (1, [1]),
        (2, [2]),
        (10, [10]),
        (11, [6, 5]),
        (12, [6, 6]),
        (21, [7, 7, 7]),
        (40, [10, 10, 10, 10]),
    ],
)
def test_group_sizes_stay_within_telegram_limits(count: int, sizes: list[int]) -> None:
    assert group_sizes(count) == sizes


def test_album_replies_numbered_groups_sheet_and_buttons() -> None:
    make = ButtonMaker(CallbackSigner("s"), "telegram", "1", 5)
    replies = album_replies([b"x"] * 12, "corporate", b"sheet", make)
    assert isinstance(replies[0], Text)
    groups = [r for r in replies if isinstance(r, MediaGroup)]
    assert [len(g.images) for g in groups] == [6, 6]
    assert groups[1].captions[0] == "#7"
    sheet = replies[-2]
    assert isinstance(sheet, Image)
    assert sheet.data == b"sheet"
    last = replies[-1]
    assert isinstance(last, Text)
    labels = [b.label for row in last.buttons for b in row]
    assert labels == ["More like #1", "More like #2", "More like #3", "Another style", "Full resolution"]


def test_progress_bar() -> None:
    assert progress_bar(0) == "░" * 10
    assert progress_bar(0.5) == "█" * 5 + "░" * 5
    assert progress_bar(1.5) == "█" * 10


def test_after_an_instant_album_a_studio_album_is_offered_with_its_minutes() -> None:
    signer = CallbackSigner("s")
    make = ButtonMaker(signer, "telegram", "1", 5)
    replies = album_replies([b"x"] * 3, "corporate", None, make, "job1", studio_minutes=12)
    last = replies[-1]
    assert isinstance(last, Text)
    studio = last.buttons[-1][0]
    assert studio.label == "Studio album (about 12 minutes)"
    assert signer.verify("telegram", "1", studio.data).action == Action.STUDIO
