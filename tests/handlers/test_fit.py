"""The cutting every adapter shares: texts, captions and files made to fit a limit."""

from __future__ import annotations

import io
import zipfile

from handlers.fit import split_file, split_text, trim


def test_a_long_line_is_cut_at_spaces_and_every_part_fits() -> None:
    text = " ".join(["word"] * 1000)  # one 4999-character line
    parts = split_text(text, 2000)
    assert all(len(p) <= 2000 for p in parts)
    assert " ".join(parts).split() == text.split()


def test_short_texts_stay_whole_and_empty_ones_are_never_sent_empty() -> None:
    assert split_text("hi\nthere", 2000) == ["hi\nthere"]
    assert split_text("", 2000) == ["…"]


def test_trim_keeps_short_texts_and_marks_cut_ones() -> None:
    assert trim("short", 10) == "short"
    assert trim("a" * 20, 10) == "a" * 9 + "…"


def test_a_zip_whose_member_alone_is_too_big_is_cut_into_byte_ranges() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("big.jpg", b"x" * 3000)
    data = out.getvalue()
    parts = split_file(data, "team.zip", 1000)
    assert [name for _, name in parts] == [f"team.zip.{n:03d}" for n in range(1, len(parts) + 1)]
    assert b"".join(part for part, _ in parts) == data
    assert split_file(b"small", "team.zip", 1000) == [(b"small", "team.zip")]
