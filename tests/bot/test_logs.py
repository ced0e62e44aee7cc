"""Log lines are JSON with context ids, and tokens never reach them."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, RedactSecrets

TOKEN = "123456789:AAF-very-secret-token-value-1234567890"


def _capture(secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(secrets))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"test-logs-{len(secrets)}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_tokens_are_redacted_in_messages_and_args() -> None:
    logger, stream = _capture(["discord-secret-abcdef"])
    logger.info("POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
    logger.info("discord token is discord-secret-abcdef")
    text = stream.getvalue()
    assert TOKEN not in text
    assert "discord-secret-abcdef" not in text
    assert text.count("[redacted]") == 2


def test_lines_are_json_with_context() -> None:
    logger, stream = _capture([])
    logger.info("job started", extra={"job_id": "abc", "user_id": 7})
    entry = json.loads(stream.getvalue())
    assert entry["msg"] == "job started"
    assert entry["job_id"] == "abc"
    assert entry["user_id"] == 7
    assert entry["level"] == "INFO"
