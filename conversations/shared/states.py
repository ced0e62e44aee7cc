"""The dialogue's states, as named constants (PTB-example style).

`SelfieSession.state` holds one of these. `docs/conversation.md` draws the same states as a
Mermaid diagram; `tests/conversations/test_diagram.py` keeps the two identical.
"""

from __future__ import annotations

from typing import Final

COLLECTING: Final = "collecting"
"""Selfies arrive; each gets a verdict and the set a running count."""
CHOOSING_STYLE: Final = "choosing_style"
"""The set is ready; the user picks a style from the (paged) picker."""
PREVIEWING: Final = "previewing"
"""A studio preview of the chosen style is shown: continue or pick another style."""
CONFIRMING: Final = "confirming"
"""The order summary is shown; one tap places the order."""
QUEUED: Final = "queued"
"""The order waits for a worker; the progress message shows the queue position."""
GENERATING: Final = "generating"
"""A worker runs the pipeline; the progress message shows stage and progress bar."""
DELIVERED: Final = "delivered"
"""The album is in the chat; "more like #N", "another style" and originals stay available."""

STATES: Final = (COLLECTING, CHOOSING_STYLE, PREVIEWING, CONFIRMING, QUEUED, GENERATING, DELIVERED)

ACCEPTS_PHOTOS: Final = frozenset({COLLECTING, CHOOSING_STYLE, PREVIEWING, CONFIRMING})
"""States in which a new selfie joins the set (and takes the dialogue back to collecting)."""
ORDER_ACTIVE: Final = frozenset({QUEUED, GENERATING})
