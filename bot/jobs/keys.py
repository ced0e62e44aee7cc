"""Names shared by the bots and the workers: the SAQ functions and what SAQ keeps."""

from __future__ import annotations

GENERATE_FUNCTION = "generate_order"
"""The SAQ function name a generation job is enqueued under."""

JOB_TTL_S = 7 * 24 * 3600
"""How long SAQ keeps a finished job's record (the database keeps the job for good)."""

INTAKE_FUNCTION = "assess_upload"
"""The SAQ function name a photo verdict is enqueued under (on the `<queue>-intake` queue)."""
