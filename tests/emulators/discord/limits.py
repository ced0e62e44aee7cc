"""What Discord refuses in a message, so the emulator refuses it too.

Each limit cites the Discord API documentation (https://discord.com/developers/docs) page it
comes from. Refusals are 50035 "Invalid Form Body" (400) unless the docs name another answer.
"""

from __future__ import annotations

import re
from typing import Any

CONTENT_LIMIT = 2000
"""Channel > Create Message, `content`: "Message contents (up to 2000 characters)"."""
FILES_PER_MESSAGE = 10
"""Reference > Uploading Files: "up to 10 files" in one request."""
FILE_BYTES = 10 * 1024 * 1024
"""Reference > Uploading Files: the default upload limit per file, 10 MiB (more only for boosted
servers; discord.py's `utils.DEFAULT_FILE_SIZE_LIMIT_BYTES` carries the same figure)."""
EMBEDS_PER_MESSAGE = 10
"""Channel > Create Message, `embeds`: "Up to 10 rich embeds (up to 6000 characters)"."""
EMBED_LIMITS = {"title": 256, "description": 4096, "fields": 25, "field.name": 256, "field.value": 1024,
                "footer.text": 2048, "author.name": 256, "total": 6000}  # fmt: skip
"""Message > Embed Object > Embed Limits (the table of that section)."""
ACTION_ROWS = 5
"""Components > Action Row: "a message can have up to 5 action rows"."""
ROW_BUTTONS = 5
"""Components > Action Row: "An Action Row can contain up to 5 buttons" or a single select menu."""
CUSTOM_ID_LIMIT = 100
"""Components > Button / String Select, `custom_id`: "max 100 characters"."""
BUTTON_LABEL_LIMIT = 80
"""Components > Button, `label`: "max 80 characters"."""
SELECT_OPTIONS = 25
"""Components > String Select, `options`: "max 25"; each option's label/value/description max 100."""
OPTION_TEXT_LIMIT = 100
PLACEHOLDER_LIMIT = 150
"""Components > String Select, `placeholder`: "max 150 characters"."""
MASS_MENTION = re.compile(r"@(everyone|here)\b")


def invalid_message(body: dict[str, Any] | None, files: dict[str, bytes]) -> str | None:
    """What Discord would refuse in a message payload (50035 Invalid Form Body), or None."""
    body = body or {}
    if len(body.get("content") or "") > CONTENT_LIMIT:
        return f"content: must be {CONTENT_LIMIT} or fewer in length"
    if len(files) > FILES_PER_MESSAGE:
        return f"files: must be {FILES_PER_MESSAGE} or fewer"
    return _invalid_embeds(body.get("embeds") or []) or _invalid_components(body.get("components") or [])


def too_large(files: dict[str, bytes]) -> bool:
    """A file over the upload limit: Discord answers 413 with code 40005 "Request entity too large"."""
    return any(len(data) > FILE_BYTES for data in files.values())


def mentions_everyone(body: dict[str, Any]) -> bool:
    """Whether Discord would ping @everyone/@here for this message: only when the content has one
    and `allowed_mentions` (absent = parse everything) lets "everyone" through (Message >
    Allowed Mentions Object)."""
    if not MASS_MENTION.search(body.get("content") or ""):
        return False
    allowed = body.get("allowed_mentions")
    return allowed is None or "everyone" in (allowed.get("parse") or [])


def _invalid_embeds(embeds: list[dict[str, Any]]) -> str | None:
    if len(embeds) > EMBEDS_PER_MESSAGE:
        return f"embeds: must be {EMBEDS_PER_MESSAGE} or fewer"
    total = 0
    for embed in embeds:
        texts = {
            "title": str(embed.get("title") or ""),
            "description": str(embed.get("description") or ""),
            "footer.text": str((embed.get("footer") or {}).get("text") or ""),
            "author.name": str((embed.get("author") or {}).get("name") or ""),
        }
        fields = embed.get("fields") or []
        if len(fields) > EMBED_LIMITS["fields"]:
            return f"embeds.fields: must be {EMBED_LIMITS['fields']} or fewer"
        for name, text in texts.items():
            if len(text) > EMBED_LIMITS[name]:
                return f"embeds.{name}: must be {EMBED_LIMITS[name]} or fewer in length"
            total += len(text)
        for item in fields:
            for part in ("name", "value"):
                text = str(item.get(part) or "")
                if not text or len(text) > EMBED_LIMITS[f"field.{part}"]:
                    return f"embeds.fields.{part}: must be 1 to {EMBED_LIMITS[f'field.{part}']} in length"
                total += len(text)
    if total > EMBED_LIMITS["total"]:
        return f"embeds: the embeds of a message hold {EMBED_LIMITS['total']} characters or fewer"
    return None


def _invalid_components(rows: list[dict[str, Any]]) -> str | None:
    if len(rows) > ACTION_ROWS:
        return f"components: must be {ACTION_ROWS} or fewer rows"
    for row in rows:
        items = row.get("components", [])
        if not 1 <= len(items) <= ROW_BUTTONS:
            return f"components: a row holds 1 to {ROW_BUTTONS} components"
        if any(i.get("type") == 3 for i in items) and len(items) != 1:
            return "components: a select menu fills its row"
        for item in items:
            problem = _invalid_component(item)
            if problem is not None:
                return problem
    return None


def _invalid_component(item: dict[str, Any]) -> str | None:
    if len(item.get("custom_id", "")) > CUSTOM_ID_LIMIT:
        return f"custom_id: must be {CUSTOM_ID_LIMIT} or fewer in length"
    if item.get("type") == 2 and len(item.get("label", "")) > BUTTON_LABEL_LIMIT:
        return f"label: must be {BUTTON_LABEL_LIMIT} or fewer in length"
    if item.get("type") != 3:
        return None
    options = item.get("options", [])
    if not 1 <= len(options) <= SELECT_OPTIONS:
        return f"options: a select menu has 1 to {SELECT_OPTIONS} options"
    if len(item.get("placeholder") or "") > PLACEHOLDER_LIMIT:
        return f"placeholder: must be {PLACEHOLDER_LIMIT} or fewer in length"
    for option in options:
        for part in ("label", "value", "description"):
            if len(str(option.get(part) or "")) > OPTION_TEXT_LIMIT:
                return f"options.{part}: must be {OPTION_TEXT_LIMIT} or fewer in length"
    return None


class RateLimits:
    """Discord's rate limits with the headers it documents (Topics > Rate Limits): every answer
    carries `X-RateLimit-Limit/-Remaining/-Reset-After/-Bucket`; past a bucket Discord answers 429
    with `retry_after` (seconds, a float) and `global`. Documented: "All bots can make up to 50
    requests per second to our API" (the global limit). Per-route limits are not documented as
    numbers ("do not hard code"), so tests set them with `limit(route, count, per_s)`.
    """

    GLOBAL_PER_S = 50

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, float]] = {}
        self._hits: dict[str, list[float]] = {}
        self.refused: list[str] = []
        self.held: dict[str, tuple[float, int]] = {}

    def hold(self, route: str, retry_after: float, times: int = 1) -> None:
        """Answer the next `times` requests to `route` with 429, whatever the headers said (as
        Discord does when another process of the bot used the same bucket)."""
        self.held[route] = (retry_after, times)

    def limit(self, route: str, count: int, per_s: float) -> None:
        """`route` is 'METHOD /path' with the major parameter kept (e.g. 'POST /channels/1/messages')."""
        self.routes[route] = (count, per_s)

    def take(self, route: str, now: float) -> tuple[dict[str, str], float | None]:
        """Headers for this answer, and `retry_after` if the request must be refused."""
        count, per_s = self.routes.get(route, (self.GLOBAL_PER_S, 1.0))
        if route in self.held:
            retry_after, times = self.held.pop(route)
            if times > 1:
                self.held[route] = (retry_after, times - 1)
            self.refused.append(route)
            headers = self._headers(route, count, 0, retry_after)
            headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
            headers["X-RateLimit-Scope"] = "shared"
            return headers, retry_after
        hits = [t for t in self._hits.get(route, []) if now - t < per_s]
        if len(hits) >= count:
            retry_after = round(per_s - (now - hits[0]), 3)
            self._hits[route] = hits
            self.refused.append(route)
            headers = self._headers(route, count, 0, retry_after)
            headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
            headers["X-RateLimit-Scope"] = "user"
            return headers, retry_after
        hits.append(now)
        self._hits[route] = hits
        reset_after = round(per_s - (now - hits[0]), 3)
        return self._headers(route, count, count - len(hits), reset_after), None

    @staticmethod
    def _headers(route: str, count: int, remaining: int, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(count),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"bucket-{abs(hash(route)) % 10**8}",
        }


COMMAND_NAME_LIMIT = 32
"""Application Commands > Application Command Naming: names are 1-32 characters of `-_'`,
letters and digits (`^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`), lowercase where the letter
has a lowercase form; localised names follow the same rule."""
COMMAND_DESCRIPTION_LIMIT = 100
"""Application Command Object, `description`: "1-100 character description"; localised too."""
LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no",
    "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN",
    "ja", "zh-TW", "ko",
})  # fmt: skip
"""Reference > Locales: the only keys `name_localizations` and `description_localizations` take."""


def _invalid_name(name: str) -> bool:
    return (
        not 1 <= len(name) <= COMMAND_NAME_LIMIT
        or name != name.lower()
        or not all(c.isalnum() or c in "-_'" for c in name)
    )


def invalid_commands(commands: list[dict[str, Any]]) -> str | None:
    """What Discord refuses in a bulk overwrite of application commands (50035), or None:
    names, descriptions and their localisations, options included, and sibling names that clash
    in some locale."""
    for index, command in enumerate(commands):
        problem = _invalid_command(command, str(index))
        if problem:
            return problem
    return None


def _invalid_command(command: dict[str, Any], where: str) -> str | None:
    if _invalid_name(str(command.get("name", ""))):
        return f"{where}.name: invalid command name"
    description = str(command.get("description", ""))
    if command.get("type", 1) == 1 and not 1 <= len(description) <= COMMAND_DESCRIPTION_LIMIT:
        return f"{where}.description: must be 1-{COMMAND_DESCRIPTION_LIMIT} long"
    for field, check in (("name_localizations", _invalid_name), ("description_localizations", None)):
        for locale, text in (command.get(field) or {}).items():
            if locale not in LOCALES:
                return f"{where}.{field}.{locale}: invalid locale"
            if check is not None and check(text):
                return f"{where}.{field}.{locale}: invalid command name {text!r}"
            if check is None and not 1 <= len(text) <= COMMAND_DESCRIPTION_LIMIT:
                return f"{where}.{field}.{locale}: must be 1-{COMMAND_DESCRIPTION_LIMIT} long"
    options = command.get("options") or []
    for locale in {"", *(k for o in options for k in (o.get("name_localizations") or {}))}:
        seen = [(o.get("name_localizations") or {}).get(locale) or o.get("name") for o in options]
        if len(seen) != len(set(seen)):
            return f"{where}.options: duplicate names in locale {locale or 'default'!r}"
    for number, option in enumerate(options):
        problem = _invalid_command(option, f"{where}.options.{number}")
        if problem:
            return problem
    return None
