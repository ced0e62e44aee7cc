"""Photo verdicts on intake workers: the CPU work of judging a selfie, spread over machines.

A bot process judges photos itself by default (`HEADSHOTS_INTAKE=local`), which caps a
burst at what its cores do (~3-4 verdicts/s on two). With `HEADSHOTS_INTAKE=queue` the bot's
`Assessor` is a `QueuedAssessor`: each upload goes as a SAQ job on its own Redis queue
(`<queue_name>-intake`, so verdicts never wait behind GPU orders) to however many
`headshots intake` processes the operator started, on any machine; SAQ hands each job to
one free worker, so a burst is spread over all of them.

The job carries the upload's bytes and comes back with the verdict, the signature, the face
(box, landmarks, embedding: previews crop from it) and the decoded photo re-encoded without
metadata (what the store keeps). If no worker answers within `intake_timeout_s`, the bot
judges the photo itself: slower, never lost.

Each upload is judged once (idempotent by its verdict key, the upload's SHA-256 and photo
name): the SAQ job carries the key, so the same upload sent again while it is out (or within
`RESULT_TTL_S` after) follows the first job instead of queueing a second; and whoever judges
it first takes a claim in Redis (`keys.VERDICT_CLAIM`). Under overload the bot claims it only
while no worker has started: then it aborts the job and judges the photo itself, and a worker
that dequeues the job anyway finds the claim and skips it. A worker already judging it is
waited for, once more the timeout, and judged here only if it still does not answer (the
worker died: the one case where a verdict may be judged twice).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import io
import logging
import time
from typing import Any

import numpy as np
from PIL import Image
from saq import Queue
from saq.job import Job as SaqJob
from saq.job import Status
from saq.types import Context

from bot.jobs.keys import INTAKE_FUNCTION, VERDICT_CLAIM
from bot.settings import Settings
from conversations.shared.gate import EngineGate
from engine.intake import Assessment, Assessor
from engine.pipeline import EngineResources
from engine.types import (
    AssessedPhoto,
    Face,
    IssueCode,
    Photo,
    PhotoRecord,
    PhotoVerdict,
    QualityIssue,
)
from storage.photos import encode_without_metadata

log = logging.getLogger(__name__)

RESULT_TTL_S = 600
"""A verdict's SAQ record (and its claim) expires after this: an upload sent again within it
gets the same verdict without being judged again."""
BOT_CLAIM = "bot"
"""The claim's value when the bot judges an upload itself."""


def verdict_key(data: bytes, name: str) -> str:
    """What makes one upload's verdict: its bytes and the name it is judged under."""
    return f"{hashlib.sha256(data).hexdigest()}:{name}"


async def claim_verdict(queue: Queue, key: str, judge: str) -> str | None:
    """Take the right to judge `key`; returns None when taken, else who holds it."""
    redis: Any = getattr(queue, "redis")  # noqa: B009 - SAQ's RedisQueue holds the client
    claim = f"{queue.name}:{VERDICT_CLAIM}:{key}"
    if await redis.set(claim, judge, nx=True, ex=RESULT_TTL_S):
        return None
    holder = await redis.get(claim)
    return holder.decode() if isinstance(holder, bytes) else str(holder)


def intake_queue(settings: Settings) -> Queue:
    """The SAQ queue verdicts travel on (call `connect()` before use)."""
    if settings.embedded:
        msg = "HEADSHOTS_INTAKE=queue needs HEADSHOTS_REDIS_URL (the intake workers take jobs from Redis)"
        raise ValueError(msg)
    return Queue.from_url(settings.redis_url, name=f"{settings.queue_name}-intake")


def _array_to_json(array: Any) -> dict[str, Any] | None:
    if array is None:
        return None
    values = np.asarray(array)
    return {"dtype": str(values.dtype), "shape": list(values.shape), "values": values.ravel().tolist()}


def _array_from_json(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    return np.asarray(data["values"], dtype=data["dtype"]).reshape(data["shape"])


def _face_to_json(face: Face | None) -> dict[str, Any] | None:
    if face is None:
        return None
    return {
        "bbox": [float(v) for v in face.bbox],
        **{name: float(getattr(face, name)) for name in ("score", "yaw", "pitch", "roll")},
        **{name: _array_to_json(getattr(face, name)) for name in ("landmarks", "embedding", "landmarks_68")},
    }


def _face_from_json(data: dict[str, Any] | None) -> Face | None:
    if data is None:
        return None
    return Face(
        bbox=(data["bbox"][0], data["bbox"][1], data["bbox"][2], data["bbox"][3]),
        score=data["score"],
        landmarks=_array_from_json(data["landmarks"]),
        yaw=data["yaw"],
        pitch=data["pitch"],
        roll=data["roll"],
        embedding=_array_from_json(data["embedding"]),
        landmarks_68=_array_from_json(data["landmarks_68"]),
    )


def assessment_to_json(assessment: Assessment, *, judged_by: str) -> dict[str, Any]:
    report = assessment.report
    photo = assessment.assessed.photo if assessment.assessed is not None else None
    face = assessment.assessed.face if assessment.assessed is not None else None
    return {
        "report": {
            **{f.name: getattr(report, f.name) for f in dataclasses.fields(report) if f.name != "issues"},
            "issues": [[issue.code.value, issue.message] for issue in report.issues],
        },
        "signature": assessment.signature.to_json(),
        "seconds": assessment.seconds,
        "photo": None
        if photo is None
        else {
            "jpeg": base64.b64encode(encode_without_metadata(photo.image)).decode(),
            "sha256": photo.sha256,
            "source_format": photo.source_format,
            "source_bytes": photo.source_bytes,
        },
        "face": _face_to_json(face),
        "judged_by": judged_by,
    }


def assessment_from_json(data: dict[str, Any]) -> Assessment:
    fields = dict(data["report"])
    issues = tuple(QualityIssue(IssueCode(code), message) for code, message in fields.pop("issues"))
    report = PhotoVerdict(issues=issues, **fields)
    assessed = None
    if data["photo"] is not None:
        image = Image.open(io.BytesIO(base64.b64decode(data["photo"]["jpeg"])))
        image.load()
        photo = Photo(
            name=report.name,
            image=image,
            sha256=data["photo"]["sha256"],
            source_format=data["photo"]["source_format"],
            source_bytes=data["photo"]["source_bytes"],
        )
        assessed = AssessedPhoto(photo=photo, report=report, face=_face_from_json(data["face"]))
    return Assessment(report, assessed, PhotoRecord.from_json(data["signature"]), data["seconds"])


async def assess_upload(ctx: Context, *, data: str, name: str, key: str = "") -> dict[str, Any]:
    """The SAQ job function on an intake worker: one upload in, its verdict out. An upload the
    bot already judges itself (its claim says "bot") is skipped: `{"skipped": ...}`."""
    assessor: Assessor = ctx["assessor"]  # type: ignore[typeddict-item]
    worker_name: str = ctx["worker_name"]  # type: ignore[typeddict-item]
    if key and (holder := await claim_verdict(ctx["worker"].queue, key, worker_name)) == BOT_CLAIM:
        log.info("%s skipped %s: the bot judges it", worker_name, name)
        return {"skipped": f"judged by {holder}"}
    assessment = await asyncio.to_thread(assessor.assess, base64.b64decode(data), name)
    return assessment_to_json(assessment, judged_by=worker_name)


class QueuedAssessor(Assessor):
    """An `Assessor` whose per-photo verdicts run on intake workers; set verdicts stay local.

    `assess` is called from a thread (the conversation's verdict pool) and waits there for
    the worker's answer; the Redis calls run on `loop`, the bot's event loop.
    """

    def __init__(
        self, local: Assessor, queue: Queue, loop: asyncio.AbstractEventLoop, *, timeout_s: float
    ) -> None:
        super().__init__(
            local.analyzer,
            max_bytes=local.max_bytes,
            max_pixels=local.max_pixels,
            min_photos=local.min_photos,
            working_side=local.working_side,
        )
        self.local = local
        """Judges a photo no worker answered for (the one the conversation had before)."""
        self.queue = queue
        self.loop = loop
        self.timeout_s = timeout_s
        self.last_judged_by = ""

    def assess(self, data: bytes, name: str) -> Assessment:
        started = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(self._remote(data, name), self.loop)
        try:
            # `_remote` bounds its own wait; the margin covers enqueue and abort.
            result = future.result(timeout=self.timeout_s + 30)
        except Exception as exc:  # noqa: BLE001 - the loop is gone or stuck: judge it here
            future.cancel()
            result = f"{type(exc).__name__} {exc}"
        if isinstance(result, str):
            log.warning("no intake worker judged %s (%s); judging it in this process", name, result)
            self.last_judged_by = ""
            return self.local.assess(data, name)
        self.last_judged_by = str(result.get("judged_by", ""))
        assessment = assessment_from_json(result)
        log.debug("%s judged %s in %.0f ms", self.last_judged_by, name, assessment.seconds * 1e3)
        return dataclasses.replace(assessment, seconds=time.perf_counter() - started)

    async def _remote(self, data: bytes, name: str) -> dict[str, Any] | str:
        """The worker's answer, or why there is none (never raises: the caller falls back)."""
        key = verdict_key(data, name)
        try:
            queued = await self._job(key, data, name)
            if isinstance(queued, str):
                return queued
            for wait in ("first", "again"):
                try:
                    await queued.refresh(until_complete=self.timeout_s)
                    break
                except TimeoutError:
                    holder = await claim_verdict(self.queue, key, BOT_CLAIM)
                    if holder is None or holder == BOT_CLAIM or wait == "again":
                        await self.queue.abort(queued, "no intake worker answered in time")
                        return f"no answer within {self.timeout_s:.0f} s"
                    log.info("%s is still judging %s; waiting once more", holder, name)
        except Exception as exc:  # noqa: BLE001 - Redis down, a bad record: the bot judges instead
            return f"{type(exc).__name__}: {exc}"
        if queued.status != Status.COMPLETE or not isinstance(queued.result, dict):
            return f"intake job {queued.status}: {queued.error}"
        if "skipped" in queued.result:
            return f"intake job skipped ({queued.result['skipped']})"
        return queued.result

    async def _job(self, key: str, data: bytes, name: str) -> SaqJob | str:
        """The job judging this upload: the one already out (or just done) under its key, or
        a new one."""
        for _ in range(2):
            existing = await self.queue.job(key)
            if existing is not None and existing.status not in {Status.ABORTED, Status.FAILED}:
                return existing
            job = SaqJob(
                function=INTAKE_FUNCTION,
                kwargs={"data": base64.b64encode(data).decode(), "name": name, "key": key},
                key=key,
                timeout=max(1, int(2 * self.timeout_s)),  # the bot waits twice for a busy worker
                retries=2,  # a verdict swept by mistake is tried again, not lost
                ttl=RESULT_TTL_S,
            )
            queued = await self.queue.enqueue(job)
            if queued is not None:
                return queued
        return "the intake queue refused the job"


async def plug_intake(
    settings: Settings, engine: EngineResources
) -> tuple[EngineResources, EngineGate, Queue | None]:
    """For `headshots serve`: the engine and verdict gate the conversation gets, and the
    intake queue to close at shutdown (None with `HEADSHOTS_INTAKE=local`)."""
    if settings.intake == "local":
        return engine, EngineGate(), None
    queue = intake_queue(settings)
    await queue.connect()
    assessor = QueuedAssessor(
        engine.assessor, queue, asyncio.get_running_loop(), timeout_s=settings.intake_timeout_s
    )
    # A verdict now waits on the network, not on this machine's cores: many may be out at once.
    return dataclasses.replace(engine, assessor=assessor), EngineGate(settings.intake_in_flight), queue
