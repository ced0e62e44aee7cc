"""Pure parts of the renderer: Discord's 2,000-character and 10-file limits."""

from __future__ import annotations

from handlers.discord.render import MAX_CONTENT, media_chunks
from handlers.fit import split_text


def test_long_text_is_split_at_line_ends_without_losing_anything() -> None:
    lines = [f"• style {i}: " + "x" * 90 for i in range(60)]
    parts = split_text("\n".join(lines), MAX_CONTENT)
    assert len(parts) > 1
    assert all(len(p) <= MAX_CONTENT for p in parts)
    assert "\n".join(parts).splitlines() == lines


def test_a_single_overlong_line_is_cut() -> None:
    parts = split_text("y" * (MAX_CONTENT * 2 + 5), MAX_CONTENT)
    assert [len(p) for p in parts] == [MAX_CONTENT, MAX_CONTENT, 5]


def test_images_go_ten_per_message_named_by_rank() -> None:
    images = tuple(bytes([i]) for i in range(23))
    chunks = media_chunks(images, tuple(f"#{i + 1}" for i in range(23)))
    assert [len(files) for files, _ in chunks] == [10, 10, 3]
    assert chunks[2][0][0].filename == "headshot_21.jpg"
    assert chunks[0][1].startswith("#1 #2")
