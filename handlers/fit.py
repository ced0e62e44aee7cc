"""Making replies fit a platform's limits before they are sent, never after a refusal.

Every adapter measures against its own platform's numbers (Telegram: 4096 UTF-16 units a
message, 1024 a caption, 50 MB a file; Discord: 2000 characters, its attachment size); the
cutting itself is the same everywhere and lives here.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import PurePosixPath

ELLIPSIS = "…"
Length = Callable[[str], int]


def split_text(text: str, limit: int, length: Length = len) -> list[str]:
    """`text` as messages of at most `limit` (measured by `length`), cut at line ends where
    possible, inside a line only when one line alone is too long. Never an empty message."""
    parts: list[str] = []
    current = ""
    for line in _pieces(text, limit, length):
        candidate = f"{current}\n{line}" if current else line
        if current and length(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    parts.append(current)
    return [p for p in parts if p.strip()] or [ELLIPSIS]


def _pieces(text: str, limit: int, length: Length) -> list[str]:
    """Lines, each longer one cut into pieces that fit (at spaces where possible)."""
    pieces: list[str] = []
    for line in text.splitlines() or [""]:
        rest = line
        while length(rest) > limit:
            cut = _longest_prefix(rest, limit, length)
            space = rest.rfind(" ", 0, cut)
            if space > cut // 2:
                cut = space + 1
            pieces.append(rest[:cut].rstrip())
            rest = rest[cut:]
        pieces.append(rest)
    return pieces


def _longest_prefix(text: str, limit: int, length: Length) -> int:
    """How many characters of `text` fit in `limit` (binary search: `length` may not be `len`)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if length(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return max(low, 1)


def trim(text: str, limit: int, length: Length = len) -> str:
    """`text` shortened to `limit` with an ellipsis (captions: one message, one caption)."""
    if length(text) <= limit:
        return text
    return text[: _longest_prefix(text, limit - length(ELLIPSIS), length)].rstrip() + ELLIPSIS


def split_file(data: bytes, filename: str, limit: int) -> list[tuple[bytes, str]]:
    """A file in parts of at most `limit` bytes, numbered ("(part 2 of 3)" in the name).

    A zip archive is split into smaller archives that each open on their own (its members
    spread over them in order); a member bigger than `limit` on its own, or any other file,
    is cut into raw byte ranges (`name.001`, `name.002`, ... joined again with `cat`)."""
    if len(data) <= limit:
        return [(data, filename)]
    if zipfile.is_zipfile(io.BytesIO(data)):
        archives = _split_zip(data, limit)
        if archives is not None:
            return _numbered(archives, filename)
    chunks = [data[i : i + limit] for i in range(0, len(data), limit)]
    return [(chunk, f"{filename}.{n:03d}") for n, chunk in enumerate(chunks, start=1)]


def _numbered(parts: list[bytes], filename: str) -> list[tuple[bytes, str]]:
    path = PurePosixPath(filename)
    total = len(parts)
    return [(part, f"{path.stem}_part{n}of{total}{path.suffix}") for n, part in enumerate(parts, start=1)]


ZIP_OVERHEAD = 22 + 2 * 128
"""End-of-archive record plus generous per-member headers, for the size estimate."""


def _split_zip(data: bytes, limit: int) -> list[bytes] | None:
    """The archive's members in consecutive archives of at most `limit` bytes, or None when one
    member cannot fit alone. Members are copied compressed as they are (no recompression)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        infos = source.infolist()
        if any(info.compress_size + len(info.filename) + ZIP_OVERHEAD > limit for info in infos):
            return None
        groups: list[list[zipfile.ZipInfo]] = [[]]
        size = 22
        for info in infos:
            cost = info.compress_size + 2 * len(info.filename) + ZIP_OVERHEAD - 22
            if groups[-1] and size + cost > limit:
                groups.append([])
                size = 22
            groups[-1].append(info)
            size += cost
        archives = []
        for group in groups:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as target:
                for info in group:
                    with source.open(info) as member, target.open(info, "w") as copy:
                        copy.write(member.read())
            archives.append(out.getvalue())
    return archives if all(len(a) <= limit for a in archives) else None
