"""Taking in selfies: judge each upload, store it without metadata, re-judge the set.

The engine's `Assessor` does the judging (issue 4); this module only decides names, keys
and rows. Each photo is named "photo N" (N counts the session's uploads) so the engine's set
messages ("photo 5 looks like a different person") match what the user sees; N comes from a
shared counter (`SharedState.counters`), so two bot processes never give two photos one key. The set verdict
is rebuilt from the `PhotoRecord`s kept in `Photo.quality["signature"]`, so it survives a
restart without running face detection again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from conversations.i18n.translate import tr, tr_n
from conversations.shared import messages as msg
from conversations.shared.advice import engine_text
from conversations.shared.events import PhotoReceived
from conversations.shared.gate import EngineGate
from conversations.shared.ports import Counters
from conversations.shared.sessions import add_photos, save_photos, session_photos, session_prefix
from engine.intake import Assessment, Assessor
from engine.types import PhotoRecord, SetAssessment
from storage.database import Database
from storage.models import Photo, SelfieSession
from storage.photos import PhotoStore


@dataclass(frozen=True)
class IntakeResult:
    """What a batch of uploads did: one line per new photo and the set's verdict after it."""

    lines: tuple[str, ...]
    verdict: SetAssessment
    total: int
    refused: int = 0
    codes: tuple[tuple[str, ...], ...] = ()
    """Each new upload's own issue codes (empty for a good photo), for the verdict metrics."""


def photo_name(index: int) -> str:
    return f"photo {index}"


def photo_number(photo: Photo) -> int:
    """N of a stored photo's "photo N" (0 for a row without a signature)."""
    name = str(photo.quality.get("signature", {}).get("name", ""))
    number = name.removeprefix("photo ")
    return int(number) if number.isdigit() else 0


def numbers_key(session: SelfieSession) -> str:
    """The `Counters` name a session's photo numbers come from."""
    return f"selfies:{session.id}"


def signatures(photos: Sequence[Photo]) -> list[PhotoRecord]:
    return [PhotoRecord.from_json(p.quality["signature"]) for p in photos if "signature" in p.quality]


def _row(session: SelfieSession, assessment: Assessment, key: str, data: bytes) -> Photo:
    assert session.id is not None
    report = assessment.report
    image = assessment.assessed.photo.image if assessment.assessed is not None else None
    return Photo(
        session_id=session.id,
        user_id=session.user_id,
        store_key=key,
        sha256=hashlib.sha256(data).hexdigest(),
        width=image.width if image is not None else 0,
        height=image.height if image is not None else 0,
        ok=report.ok,
        issues=list(report.codes),
        quality={
            "signature": assessment.signature.to_json(),
            "sharpness": report.sharpness,
            "brightness": report.brightness,
            "face_px": report.face_px,
            "messages": [issue.message for issue in report.issues],
        },
        embedding=list(assessment.signature.embedding) if assessment.signature.embedding else None,
    )


def _line(name: str, assessment: Assessment, verdict: SetAssessment) -> str:
    number = name.removeprefix("photo ")
    if assessment.report.issues:
        return tr(msg.PHOTO_BAD).format(n=number, problem=engine_text(assessment.report.issues[0].message))
    set_issues = verdict.issues.get(name, ())
    if set_issues:
        text = engine_text(set_issues[0].message)
        return text[:1].upper() + text[1:]
    return tr(msg.PHOTO_GOOD).format(n=number)


def _store(store: PhotoStore, prefix: str, name: str, assessment: Assessment) -> str:
    """The decoded photo (orientation applied) re-encoded without EXIF; '' if undecodable."""
    if assessment.assessed is None:
        return ""
    number = int(name.removeprefix("photo "))
    return store.put_image(f"{prefix}/{number:02d}.jpg", assessment.assessed.photo.image)


async def take_photos(
    db: Database,
    store: PhotoStore,
    assessor: Assessor,
    session: SelfieSession,
    uploads: Sequence[PhotoReceived],
    *,
    engine_gate: EngineGate,
    numbers: Counters,
    max_photos: int,
) -> IntakeResult:
    """Judge and keep `uploads` (up to the session's room), then re-judge the whole set.

    Photos are judged in parallel threads (the assessor serialises its model calls, the
    decoding overlaps) while no preview holds the models (`engine_gate`).
    """
    assert session.id is not None
    existing = await asyncio.to_thread(session_photos, db, session.id)
    room = max(0, max_photos - len(existing))
    accepted, refused = list(uploads[:room]), len(uploads) - min(room, len(uploads))
    floor = max((photo_number(p) for p in existing), default=0)
    start = await numbers.reserve(numbers_key(session), len(accepted), floor=floor) if accepted else floor + 1
    names = [photo_name(start + i) for i in range(len(accepted))]
    assessments = await asyncio.gather(
        *(
            engine_gate.run_shared(assessor.assess, up.data, name)
            for up, name in zip(accepted, names, strict=True)
        )
    )
    prefix = session_prefix(session.user_id, session.id)
    keys = await _store_all(store, prefix, names, assessments)
    rows = [
        _row(session, a, key, up.data)
        for up, a, key in zip(accepted, assessments, keys, strict=True)
        if key  # an undecodable upload is answered, not kept
    ]
    await asyncio.to_thread(add_photos, db, rows)
    every = existing + rows
    verdict = assessor.assess_set(signatures(every))
    for row in every:
        name = row.quality["signature"]["name"]
        row.similarity = verdict.similarities.get(name)
        row.ok = name in verdict.usable
        set_codes = [i.code.value for i in verdict.issues.get(name, ())]
        row.issues = sorted({*row.quality["signature"]["codes"], *set_codes})
    await asyncio.to_thread(save_photos, db, every)
    lines = [_line(n, a, verdict) for n, a in zip(names, assessments, strict=True)]
    if refused:
        lines.append(tr_n(msg.TOO_MANY_PHOTOS, max_photos).format(max=max_photos))
    codes = tuple(tuple(a.report.codes) for a in assessments)
    return IntakeResult(tuple(lines), verdict, total=len(every), refused=refused, codes=codes)


async def _store_all(
    store: PhotoStore, prefix: str, names: Sequence[str], assessments: Sequence[Assessment]
) -> list[str]:
    """Store a batch all or nothing: on a full or failing store the photos already written are
    removed again before the `PhotoStoreError` reaches the conversation (no file without its row)."""
    outcomes = await asyncio.gather(
        *(asyncio.to_thread(_store, store, prefix, n, a) for n, a in zip(names, assessments, strict=True)),
        return_exceptions=True,
    )
    failure = next((o for o in outcomes if isinstance(o, BaseException)), None)
    if failure is None:
        return [str(o) for o in outcomes]
    for key in outcomes:
        if isinstance(key, str) and key:
            await asyncio.to_thread(store.delete, key)
    raise failure


def usable_keys(photos: Sequence[Photo], verdict: SetAssessment) -> tuple[str, ...]:
    """Store keys of the photos generation should use, in upload order."""
    by_name = {p.quality["signature"]["name"]: p.store_key for p in photos if "signature" in p.quality}
    return tuple(by_name[name] for name in verdict.usable if name in by_name)
