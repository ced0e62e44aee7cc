"""Names shared by the bots and the workers: the SAQ functions and what SAQ keeps, and the
Redis keys of the bot processes' shared state (one module, so every name in Redis is here)."""

from __future__ import annotations

GENERATE_FUNCTION = "generate_order"
"""The SAQ function name a generation job is enqueued under."""

JOB_TTL_S = 7 * 24 * 3600
"""How long SAQ keeps a finished job's record (the database keeps the job for good)."""

INTAKE_FUNCTION = "assess_upload"
"""The SAQ function name a photo verdict is enqueued under (on the `<queue>-intake` queue)."""

# Bot processes' shared state (`bot.coordination`): every key starts with the deployment's
# `queue_name` and one of these, then the parts named in each comment.

RATE_USER = "rate:user"
"""Hash {tokens, stamp, warned}: one user's token bucket (+ platform, user id)."""

RATE_CHAT = "rate:chat"
"""Hash {tokens, stamp}: one chat's token bucket (+ platform, chat id)."""

USER_LOCK = "lock:user"
"""redis-py `Lock`: one user's updates one at a time (+ platform, user id)."""

COUNTER = "counter"
"""Integer: the last number handed out (+ the counter's name, e.g. `selfies:<session id>`)."""

ALBUM_LEAD = "album:lead"
"""String, set once: which process leads an album's assembly (+ group id)."""

ALBUM_PARTS = "album:parts"
"""List: an album's parts in arrival order (+ group id)."""

ALBUM_WAKE = "album:wake"
"""List: one entry per part after the first; the leader pops them to know parts still come."""

VERDICT_CLAIM = "verdict:claim"
"""String, set once, on the intake queue's name: who judges one upload — an intake worker's
name, or "bot" when the bot judges it itself after waiting too long (+ the verdict key,
`<sha256 of the upload>:<photo name>`). Whoever does not hold it does not judge."""

LEASE = "lease"
"""String, expiring: the process holding a lease, e.g. the courier's (+ the lease's name,
`courier:<platform>`)."""
