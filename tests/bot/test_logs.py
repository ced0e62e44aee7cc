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


def test_percent_encoded_tokens_are_redacted() -> None:
    """Regression: PTB's file download URL percent-encodes the token's colon (found by
    tests/handlers/telegram/test_security.py), which slipped past both the secret and the regex."""
    from bot.logs import RedactSecrets

    token = "7123456789:AAHk3vQ8x_Zr4Lm9PqT2wYs6UoB1cD5eF7g"
    url = "GET http://x/file/bot7123456789%3AAAHk3vQ8x_Zr4Lm9PqT2wYs6UoB1cD5eF7g/documents/f.jpg"
    assert "AAHk3vQ8" not in RedactSecrets([token]).redact(url)
    assert "AAHk3vQ8" not in RedactSecrets([]).redact(url)
