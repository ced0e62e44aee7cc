"""Typed errors whose messages a chat user can act on.

Every stage raises one of these instead of a bare exception; handlers show `user_message`
as it is and log the rest. `code` is stable (tests, metrics, translations key on it).
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class: something the user or operator must do differently."""

    code = "engine_error"

    def __init__(self, user_message: str, *, code: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if code is not None:
            self.code = code


class ImageRejectedError(EngineError):
    """The upload is not an image we can use (corrupt, too big, a video, a bomb...)."""

    code = "unreadable"


class SetNotReadyError(EngineError):
    """The selfie set cannot be generated from yet; the message says what to send."""

    code = "set_not_ready"


class StyleError(EngineError):
    """A style template is invalid or unknown."""

    code = "style_invalid"


class ModelUnavailableError(EngineError):
    """Weights or hardware are missing; the message names the model and how to get it."""

    code = "model_unavailable"


class GenerationCancelledError(EngineError):
    """The user cancelled; raised between diffusion steps."""

    code = "cancelled"

    def __init__(self, user_message: str = "Cancelled.") -> None:
        super().__init__(user_message)


class TransientGenerationError(EngineError):
    """Worth retrying (out of GPU memory, a lost device); the worker retries with backoff."""

    code = "transient"
