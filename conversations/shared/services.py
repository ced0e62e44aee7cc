"""What every part of the conversation works with, built once by `headshots serve` (or a test)."""

from __future__ import annotations

from dataclasses import dataclass, field

from conversations.shared.gate import EngineGate
from conversations.shared.ports import ConversationConfig, JobQueue, Metrics, SharedState, WebLinks
from engine.pipeline import EngineResources
from storage.database import Database
from storage.photos import PhotoStore


@dataclass(frozen=True)
class Services:
    """The conversation's ports and resources.

    `engine` must not be shared with a worker running in the same process: face models
    (dlib's detector) are not thread-safe, so the conversation shares them between verdicts
    and previews through `engine_gate`, and a worker needs its own copy.
    """

    settings: ConversationConfig
    db: Database
    store: PhotoStore
    engine: EngineResources
    jobs: JobQueue
    engine_gate: EngineGate = field(default_factory=EngineGate)
    metrics: Metrics | None = None
    """Verdict counts and reply times go here when set (`headshots serve` with a metrics port)."""
    links: WebLinks | None = None
    """Links into the web studio (/web, album pages, team dashboards) when it runs."""
    shared: SharedState | None = None
    """What bot processes on one token must agree on; None: this process's memory
    (`conversations.shared.coordination.local_state`, right for a single process)."""
