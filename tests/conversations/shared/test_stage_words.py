"""The engine names its stages once (`engine.pipeline.STAGES`, `engine.training.TRAINING_STAGES`);
the chat's progress message has words for each of them and for nothing else, so a stage
added to the engine cannot reach a user as a bare code or "starting"."""

from __future__ import annotations

from conversations.shared import messages as msg
from engine.pipeline import STAGES
from engine.training import TRAINING_STAGES


def test_every_engine_stage_has_words_in_the_progress_message() -> None:
    assert set(msg.STAGES) == {*STAGES, *TRAINING_STAGES}
