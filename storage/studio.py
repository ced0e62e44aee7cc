"""Where a person's studio model lives: keys under the user's prefix, and which one to reuse.

A studio job keeps its training checkpoint and the trained LoRA in
`users/<id>/studio/<job id>/`, so `/delete` (the user's prefix) and retention (the job's
folder, with the job's other files) remove them like any other photo of that person. A LoRA
is only ever looked up by the order's own user and the exact selfie set it was trained on;
no other user's order can name it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlmodel import col, select

from storage.database import Database
from storage.models import Job
from storage.photos import PhotoStore, user_prefix

STUDIO_KIND = "studio"
"""`Job.params["kind"]` of a studio order (trains the person's LoRA unless one is reusable)."""
CHECKPOINT = "checkpoint.pt"
WEIGHTS = "lora.safetensors"
METADATA = "lora.json"


def studio_prefix(user_id: int, job_id: str) -> str:
    return f"{user_prefix(user_id)}/studio/{job_id}"


def photo_set_digest(photo_keys: Sequence[str]) -> str:
    """Names the selfie set a LoRA was trained on (the same keys in any order)."""
    return hashlib.sha256("\n".join(sorted(photo_keys)).encode()).hexdigest()[:32]


def is_studio(job: Job) -> bool:
    return job.params.get("kind") == STUDIO_KIND


def reusable_lora(db: Database, store: PhotoStore, user_id: int, photo_keys: Sequence[str]) -> str | None:
    """The newest studio job of `user_id` whose LoRA, trained on these very selfies, is in the
    store: its folder prefix, or None (then the order trains one)."""
    digest = photo_set_digest(photo_keys)
    with db.session() as session:
        rows = list(
            session.exec(select(Job).where(Job.user_id == user_id).order_by(col(Job.created_at).desc()))
        )
    for job in rows:
        if not is_studio(job) or photo_set_digest(job.params.get("photo_keys", ())) != digest:
            continue
        prefix = studio_prefix(user_id, job.id)
        if store.exists(f"{prefix}/{WEIGHTS}") and store.exists(f"{prefix}/{METADATA}"):
            return prefix
    return None
