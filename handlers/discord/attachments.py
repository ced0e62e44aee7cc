"""Discord attachments as conversation events: what is a selfie, what is not, and why.

A message may carry up to 10 attachments; each becomes one event, the images sharing the
message id as their album so the conversation answers the message once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import PurePath

import discord

from conversations.shared.events import PhotoReceived, UnsupportedInput

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff"})
ANIMATION_SUFFIXES = frozenset({".gif", ".apng"})
MAX_ATTACHMENTS = 10


def attachment_kind(content_type: str | None, filename: str) -> str:
    """`photo`, or the `UnsupportedInput` kind of anything else (video, audio, animation, file)."""
    suffix = PurePath(filename).suffix.lower()
    major = (content_type or "").split("/", 1)[0]
    if suffix in ANIMATION_SUFFIXES or (content_type or "").startswith("image/gif"):
        return "animation"
    if major == "image" or (not content_type and suffix in IMAGE_SUFFIXES):
        return "photo"
    if major in {"video", "audio"}:
        return major
    return "file"


async def attachment_events(
    attachments: Sequence[discord.Attachment], *, album_id: str, max_bytes: int
) -> tuple[list[PhotoReceived], list[UnsupportedInput]]:
    """Download the images among `attachments` (size checked before downloading)."""
    photos: list[PhotoReceived] = []
    refused: list[UnsupportedInput] = []
    for attachment in attachments[:MAX_ATTACHMENTS]:
        kind = attachment_kind(attachment.content_type, attachment.filename)
        if kind != "photo":
            refused.append(UnsupportedInput(kind, attachment.size))
        elif attachment.size > max_bytes:
            refused.append(UnsupportedInput("too_large", attachment.size))
        else:
            data = await attachment.read()
            photos.append(PhotoReceived(data, attachment.filename, album_id=album_id))
    if len(attachments) > MAX_ATTACHMENTS:
        log.info(
            "ignored %d attachments over the limit of %d", len(attachments) - MAX_ATTACHMENTS, MAX_ATTACHMENTS
        )
    return photos, refused
