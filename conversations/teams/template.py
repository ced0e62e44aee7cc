"""What an organiser asks for with `/team new`, and the team's own template.

`/team new Acme; style=corporate; photos=4; deadline=3d; backdrop=#1f3a5f; attire=navy blazer;
framing=head and shoulders`. With any of backdrop, attire or framing the team gets a custom
template built from the chosen built-in style: those slots are pinned (no variation between
candidates or people) and the backdrop colour is composited in post-processing, so the whole
team's headshots look like one set. The spec goes through the styles module's custom-style
validation like any user's style.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from conversations.i18n.translate import tr
from conversations.teams import messages as tmsg
from engine.errors import StyleError
from engine.styles import StyleLibrary, StyleTemplate, validate_custom_style

DEFAULT_STYLE = "corporate"
DEFAULT_PHOTOS = 4
MAX_PHOTOS = 12
MAX_NAME = 48
RELATIVE = re.compile(r"^(\d{1,3})\s*([dh])$")
KEYS = ("style", "photos", "deadline", "backdrop", "attire", "framing")


class TeamRequestError(ValueError):
    """The organiser's request can't be used; the message says what to change."""


@dataclass(frozen=True)
class TeamRequest:
    name: str
    style: str = DEFAULT_STYLE
    photos: int = DEFAULT_PHOTOS
    deadline: datetime | None = None
    backdrop: str = ""
    attire: str = ""
    framing: str = ""

    @property
    def custom(self) -> bool:
        return bool(self.backdrop or self.attire or self.framing)


def parse_deadline(text: str, now: datetime) -> datetime:
    """`3d`, `12h`, `2026-12-01` or `2026-12-01 18:00` (UTC)."""
    text = text.strip().lower()
    relative = RELATIVE.match(text)
    if relative:
        amount, unit = int(relative[1]), relative[2]
        return now + (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            when = datetime.strptime(text, pattern).replace(tzinfo=now.tzinfo)
        except ValueError:
            continue
        if when <= now:
            raise TeamRequestError(tr(tmsg.REQUEST_PAST_DEADLINE).format(text=text))
        return when
    raise TeamRequestError(tr(tmsg.REQUEST_BAD_DEADLINE).format(text=repr(text)))


def parse_team_request(args: Sequence[str], now: datetime) -> TeamRequest:
    """The arguments after `/team new`, split on ';' into the name and `key=value` parts."""
    parts = [p.strip() for p in " ".join(args).split(";") if p.strip()]
    if not parts or "=" in parts[0]:
        raise TeamRequestError(tr(tmsg.REQUEST_NO_NAME))
    name = " ".join(parts[0].split())
    if len(name) > MAX_NAME:
        raise TeamRequestError(tr(tmsg.REQUEST_LONG_NAME).format(max=MAX_NAME))
    values: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key not in KEYS or not value.strip():
            keys = ", ".join(k + "=..." for k in KEYS)
            raise TeamRequestError(tr(tmsg.REQUEST_UNKNOWN_PART).format(part=repr(part), keys=keys))
        values[key] = " ".join(value.split())
    photos = values.get("photos", str(DEFAULT_PHOTOS))
    if not photos.isdigit() or not 1 <= int(photos) <= MAX_PHOTOS:
        raise TeamRequestError(tr(tmsg.REQUEST_BAD_PHOTOS).format(max=MAX_PHOTOS))
    deadline = parse_deadline(values["deadline"], now) if "deadline" in values else None
    return TeamRequest(
        name=name,
        style=values.get("style", DEFAULT_STYLE).lower(),
        photos=int(photos),
        deadline=deadline,
        backdrop=values.get("backdrop", ""),
        attire=values.get("attire", ""),
        framing=values.get("framing", ""),
    )


def team_template_spec(base: StyleTemplate, request: TeamRequest, code: str) -> dict[str, Any]:
    """A custom style spec: `base` with the team's backdrop, attire and framing pinned."""
    slots = dict(base.slots)
    variations = {axis: list(values) for axis, values in base.variations.items()}
    pinned = {
        "attire": request.attire,
        "framing": request.framing,
        "background": f"a plain seamless studio backdrop in the colour {request.backdrop}"
        if request.backdrop
        else "",
    }
    for slot, value in pinned.items():
        if value:
            slots[slot] = value
            variations.pop(slot, None)
    post = base.postprocess
    return {
        "name": f"team-{code}",
        "label": f"{request.name} team look",
        "description": f"{request.name}'s team template, based on {base.label}.",
        "kind": base.kind,
        "prompt": base.prompt,
        "negative_prompt": base.negative_prompt,
        "slots": slots,
        "variations": variations,
        "controlnets": base.controlnets_spec(),
        "steps": base.steps,
        "guidance": base.guidance,
        "identity_scale": base.identity_scale,
        "postprocess": {
            "background": request.backdrop or post.background,
            "colour_grade": post.colour_grade,
            "retouch": post.retouch,
            "upscale": post.upscale,
        },
    }


def team_style(
    library: StyleLibrary, request: TeamRequest, code: str
) -> tuple[StyleTemplate, dict[str, Any] | None]:
    """The team's template and, for a custom look, its validated spec (to store and to send
    with every member's job). Raises `TeamRequestError` naming what to fix."""
    try:
        base = library.get(request.style)
    except StyleError as exc:
        raise TeamRequestError(exc.user_message) from exc
    if not request.custom:
        return base, None
    spec = team_template_spec(base, request, code)
    try:
        template = validate_custom_style(spec, reserved=library.names())
    except StyleError as exc:
        raise TeamRequestError(exc.user_message) from exc
    return template, spec
