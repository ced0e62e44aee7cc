"""The organiser's export: one 2048 px image per finished member in a ZIP, named
`Team_Name-Member_Name.jpg`, and a CSV (name, file, status, identity score).

A member's image is their pick, or the top-ranked result of their latest finished album
when they have not picked; members without an album are listed in the CSV with no file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image as PILImage

from conversations.shared.delivery import job_results
from storage.database import Database
from storage.models import JobState, Result, Team
from storage.photos import PhotoStore
from storage.teams import MemberProgress, get_result, member_progress

EXPORT_SIDE = 2048
CSV_HEADER = ("name", "file", "status", "identity_score")
PICKED, TOP_RANKED, NOT_FINISHED = "picked", "top_ranked", "not_finished"


@dataclass(frozen=True)
class ExportRow:
    name: str
    file: str
    status: str
    identity: float | None


@dataclass(frozen=True)
class TeamExport:
    rows: tuple[ExportRow, ...]
    zip_bytes: bytes
    csv_bytes: bytes
    zip_name: str
    csv_name: str

    @property
    def files(self) -> int:
        return sum(1 for r in self.rows if r.file)


def file_part(text: str) -> str:
    """`Acme Design Co.` -> `Acme_Design_Co` (ASCII letters, digits and underscores)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "Member"


def at_export_size(data: bytes) -> bytes:
    """The image with its longest side at `EXPORT_SIDE` px, as a high-quality JPEG."""
    image = PILImage.open(io.BytesIO(data)).convert("RGB")
    scale = EXPORT_SIDE / max(image.size)
    if scale != 1:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, PILImage.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def chosen_result(db: Database, progress: MemberProgress) -> tuple[Result | None, str]:
    """The member's pick, else the top-ranked result of a finished album, with the status."""
    if progress.member.pick_result_id is not None:
        result = get_result(db, progress.member.pick_result_id)
        if result is not None:
            return result, PICKED
    job = progress.job
    if job is not None and job.state == JobState.DONE:
        results = job_results(db, job.id)
        if results:
            return results[0], TOP_RANKED
    return None, NOT_FINISHED


def _unique(stem: str, taken: set[str]) -> str:
    name, number = stem, 2
    while name in taken:
        name, number = f"{stem}_{number}", number + 1
    taken.add(name)
    return name


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet takes as the start of a formula (OWASP's CSV injection list)."""


def cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a member named `=HYPERLINK(...)` stays a name."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Sequence[ExportRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        identity = "" if row.identity is None else f"{row.identity:.3f}"
        writer.writerow((cell(row.name), cell(row.file), cell(row.status), identity))
    return buffer.getvalue().encode()


def build_export(db: Database, store: PhotoStore, team: Team) -> TeamExport:
    """Read every member's chosen result and pack the ZIP and CSV (blocking: run in a thread)."""
    assert team.id is not None
    team_part = file_part(team.name)
    rows: list[ExportRow] = []
    images: list[tuple[str, bytes]] = []
    taken: set[str] = set()
    for progress in member_progress(db, team.id):
        name = progress.member.display_name
        result, status = chosen_result(db, progress)
        if result is None:
            rows.append(ExportRow(name, "", status, None))
            continue
        filename = _unique(f"{team_part}-{file_part(name)}", taken) + ".jpg"
        images.append((filename, at_export_size(store.get_bytes(result.store_key))))
        rows.append(ExportRow(name, filename, status, result.identity))
    table = csv_text(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for filename, data in images:
            archive.writestr(filename, data)
        archive.writestr(f"{team_part}.csv", table)
    return TeamExport(tuple(rows), buffer.getvalue(), table, f"{team_part}.zip", f"{team_part}.csv")
