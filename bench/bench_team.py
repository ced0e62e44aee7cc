"""Team orders: how long the order card and the organiser's export take for a big team.

    PYTHONPATH=. python bench/bench_team.py [--members 30]

A temporary SQLite database and photo store hold a team whose members each have a finished
album of two 2048x2048 results (person_a's first selfie, so the JPEGs are photo-like).
Measured: one card refresh (`TeamOrders.card`'s work: `member_progress` + `card_text`, what
every courier round does per open team) and `build_export` (read, re-encode at 2048 px, ZIP,
CSV).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from conversations.teams.card import card_text
from conversations.teams.export import build_export
from storage.database import Database
from storage.models import Job, JobState, Result, SelfieSession, Team, TeamMember, User
from storage.photos import LocalPhotoStore
from storage.teams import create_team, member_progress

FACE = Path(__file__).resolve().parents[2] / "shared" / "faces" / "person_a" / "selfie_01.jpg"


def build_team(db: Database, store: LocalPhotoStore, members: int) -> int:
    image = Image.open(FACE).convert("RGB").resize((2048, 2048))
    with db.session() as session:
        organiser = User(platform="telegram", platform_user_id="1", display_name="Olga")
        session.add(organiser)
        session.flush()
        assert organiser.id is not None
        organiser_id = organiser.id
    team = create_team(
        db, name="Bench Team", platform="telegram", chat_id="-1", organiser_id=organiser_id,
        style="corporate", photos_per_member=2, deadline=None, params={},
    )  # fmt: skip
    assert team.id is not None
    for index in range(members):
        with db.session() as session:
            user = User(platform="telegram", platform_user_id=f"u{index}", display_name=f"Member {index}")
            session.add(user)
            session.flush()
            assert user.id is not None
            session.add(TeamMember(team_id=team.id, user_id=user.id, display_name=user.display_name))
            row = SelfieSession(user_id=user.id, chat_id=f"u{index}", team_id=team.id, state="delivered")
            session.add(row)
            job = Job(
                user_id=user.id, team_id=team.id, platform="telegram", chat_id=f"u{index}",
                style="corporate", state=JobState.DONE,
            )  # fmt: skip
            session.add(job)
            session.flush()
            for rank in (1, 2):
                key = store.put_image(f"users/{user.id}/jobs/{job.id}/{rank:02d}.jpg", image)
                session.add(Result(job_id=job.id, rank=rank, store_key=key, identity=0.8))
    return team.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/bench.db")
        db.upgrade()
        store = LocalPhotoStore(Path(folder) / "photos")
        team_id = build_team(db, store, args.members)
        with db.session() as session:
            team = session.get(Team, team_id)
        assert team is not None
        card_times = []
        for _ in range(20):
            start = time.perf_counter()
            card_text(team, "Olga", member_progress(db, team_id), "Corporate")
            card_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        bundle = build_export(db, store, team)
        export_s = time.perf_counter() - start
        db.dispose()
    print(f"members: {args.members}")
    print(f"card refresh: median {statistics.median(card_times) * 1000:.1f} ms (20 runs)")
    print(f"export: {export_s:.2f} s, {bundle.files} files, ZIP {len(bundle.zip_bytes) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
