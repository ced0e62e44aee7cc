"""A studio LoRA is its user's data: found only for that user and that selfie set, removed by
/delete and by retention with the rest of the user's files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.database import Database
from storage.erasure import delete_expired_photos, delete_user_data
from storage.models import Job, JobState, User
from storage.photos import LocalPhotoStore
from storage.studio import METADATA, STUDIO_KIND, WEIGHTS, reusable_lora, studio_prefix


def _studio_job(db: Database, store: LocalPhotoStore, name: str, *, age_days: float = 0) -> tuple[int, Job]:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id=name)
        session.add(user)
        session.flush()
        assert user.id is not None
        keys = [f"users/{user.id}/selfies/{i}.jpg" for i in range(3)]
        job = Job(
            user_id=user.id,
            platform="telegram",
            chat_id=name,
            style="corporate",
            state=JobState.DONE,
            params={"kind": STUDIO_KIND, "photo_keys": keys},
            created_at=datetime.now(UTC) - timedelta(days=age_days),
        )
        session.add(job)
        session.flush()
        session.expunge(job)
    prefix = studio_prefix(user.id, job.id)
    store.put_bytes(f"{prefix}/{WEIGHTS}", b"lora")
    store.put_bytes(f"{prefix}/{METADATA}", b"{}")
    return user.id, job


def test_a_lora_is_found_only_for_its_user_and_its_selfie_set(
    any_db: Database, photo_store: LocalPhotoStore
) -> None:
    ann, job = _studio_job(any_db, photo_store, "ann")
    bob, _ = _studio_job(any_db, photo_store, "bob")
    keys = list(reversed(job.params["photo_keys"]))
    assert reusable_lora(any_db, photo_store, ann, keys) == studio_prefix(ann, job.id)
    assert reusable_lora(any_db, photo_store, ann, keys[:2]) is None, "other selfies: train again"
    assert reusable_lora(any_db, photo_store, bob, keys) is None, "never another user's LoRA"

    photo_store.delete(f"{studio_prefix(ann, job.id)}/{WEIGHTS}")
    assert reusable_lora(any_db, photo_store, ann, keys) is None


def test_delete_and_retention_remove_the_lora(any_db: Database, photo_store: LocalPhotoStore) -> None:
    ann, ann_job = _studio_job(any_db, photo_store, "ann")
    old, old_job = _studio_job(any_db, photo_store, "old", age_days=40)
    new, new_job = _studio_job(any_db, photo_store, "new", age_days=1)

    delete_user_data(any_db, photo_store, ann)
    assert not photo_store.exists(f"{studio_prefix(ann, ann_job.id)}/{WEIGHTS}")

    removed = delete_expired_photos(any_db, photo_store, datetime.now(UTC) - timedelta(days=30))
    assert removed == 2
    assert not photo_store.path(studio_prefix(old, old_job.id)).exists()
    assert photo_store.exists(f"{studio_prefix(new, new_job.id)}/{WEIGHTS}")
