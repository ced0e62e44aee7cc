"""The organiser's export: one 2048 px file per finished member, consistent names, the CSV."""

from __future__ import annotations

import csv
import io
import zipfile

from PIL import Image

from conversations.teams.export import build_export, file_part
from storage.database import Database
from storage.photos import LocalPhotoStore
from tests.conversations.teams.team_rows import make_team


def test_export_zip_and_csv(sqlite_db: Database, photo_store: LocalPhotoStore) -> None:
    members = [("Ann Lee", "picked"), ("Ben", "done"), ("Cy", "ready"), ("Ben", "picked")]
    team = make_team(sqlite_db, photo_store, members, name="Acme Design Co.")
    bundle = build_export(sqlite_db, photo_store, team)
    assert bundle.files == 3
    archive = zipfile.ZipFile(io.BytesIO(bundle.zip_bytes))
    names = archive.namelist()
    assert names == [
        "Acme_Design_Co-Ann_Lee.jpg",
        "Acme_Design_Co-Ben.jpg",
        "Acme_Design_Co-Ben_2.jpg",
        "Acme_Design_Co.csv",
    ]
    for name in names[:3]:
        assert Image.open(io.BytesIO(archive.read(name))).size == (2048, 1536)
    rows = list(csv.reader(io.StringIO(bundle.csv_bytes.decode())))
    assert rows == [
        ["name", "file", "status", "identity_score"],
        ["Ann Lee", "Acme_Design_Co-Ann_Lee.jpg", "picked", "0.700"],
        ["Ben", "Acme_Design_Co-Ben.jpg", "top_ranked", "0.800"],
        ["Cy", "", "not_finished", ""],
        ["Ben", "Acme_Design_Co-Ben_2.jpg", "picked", "0.700"],
    ]
    assert archive.read("Acme_Design_Co.csv") == bundle.csv_bytes


def test_file_part_is_safe() -> None:
    assert file_part("Zoë O'Neil / QA") == "Zo_O_Neil_QA"
    assert file_part("../..") == "Member"


def test_csv_cells_that_would_be_formulas_are_escaped(
    sqlite_db: Database, photo_store: LocalPhotoStore
) -> None:
    hostile = ['=HYPERLINK("http://evil")', "+1+1", "-2", "@SUM(A1)"]
    team = make_team(sqlite_db, photo_store, [(name, "picked") for name in hostile])
    bundle = build_export(sqlite_db, photo_store, team)
    table = list(csv.reader(io.StringIO(bundle.csv_bytes.decode())))[1:]
    names = sorted(row[0] for row in table)
    assert names == sorted("'" + name for name in hostile)
    assert not [c for row in table for c in row[:3] if c.startswith(("=", "+", "-", "@"))]
