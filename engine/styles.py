"""Style templates: the looks a user can order, as data validated once at start-up.

Built-in styles live in `engine/style_templates/*.yaml`, one file per style, so adding a look
is a data change reviewed like any other. Custom styles (a user's or a team's) arrive as a
dict from the database and go through the same validation, so a bad custom style fails when
it is saved, with a message the user can act on, not in the middle of a paid generation.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from engine.errors import StyleError
from engine.prompt_length import MAX_PROMPT_TOKENS, count_prompt_tokens

BUILTIN_DIR = Path(__file__).parent / "style_templates"

StyleKind = Literal["headshot", "avatar"]
KINDS: tuple[StyleKind, ...] = ("headshot", "avatar")

SUBJECT_SLOT = "subject"
VALUE_SLOTS = ("attire", "background", "lighting", "framing", "camera", "expression", "pose")
"""Slots filled from the template's own values; `subject` is filled from detected attributes."""
SLOTS = (SUBJECT_SLOT, *VALUE_SLOTS)

CONTROL_KINDS = ("canny", "depth", "openpose", "instantid")
COLOUR_GRADES = ("none", "neutral", "warm", "cool", "film", "vivid", "muted", "mono")
BACKGROUND_MODES = ("keep", "blur")
"""A post-processing background is one of these or a `#rrggbb` colour to composite onto."""

MIN_STEPS, MAX_STEPS = 4, 60
MIN_GUIDANCE, MAX_GUIDANCE = 0.0, 15.0
MAX_CONTROL_WEIGHT = 2.0
DEFAULT_CONTROL_END = 1.0
"""Fraction of the denoising steps a ControlNet acts on when the style gives no `end`: the
whole run, as diffusers does. Edge controls should end early (0.4-0.6) so that the layout
is set and the model is then free to draw skin, clothes and light itself."""
NAME_CHARS = set(string.ascii_lowercase + string.digits + "-_")


@dataclass(frozen=True)
class PostProcessSettings:
    """What the post-processing stage does to a candidate of this style."""

    background: str = "keep"
    colour_grade: str = "neutral"
    retouch: float = 0.3
    upscale: int = 1


@dataclass(frozen=True)
class StyleTemplate:
    """One look. `prompt` uses `{slot}` placeholders from `SLOTS`; `slots` holds fixed values
    and `variations` the values candidates vary over (an axis overrides a fixed value)."""

    name: str
    label: str
    description: str
    kind: StyleKind
    prompt: str
    negative_prompt: str
    slots: Mapping[str, str]
    variations: Mapping[str, tuple[str, ...]]
    controlnets: Mapping[str, float]
    """ControlNet kind -> conditioning scale (`canny` edges are always limited to the face)."""
    steps: int
    guidance: float
    identity_scale: float
    postprocess: PostProcessSettings
    builtin: bool = True
    control_ends: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """ControlNet kind -> fraction of the steps it acts on (diffusers' `control_guidance_end`);
    a kind missing here acts on every step."""

    @property
    def prompt_slots(self) -> tuple[str, ...]:
        return _slots_in(self.prompt)

    def controlnets_spec(self) -> dict[str, Any]:
        """The `controlnets` field as a style file writes it (a derived style keeps the ends)."""
        return {
            kind: {"weight": weight, "end": self.control_ends[kind]} if kind in self.control_ends else weight
            for kind, weight in self.controlnets.items()
        }


def _slots_in(text: str) -> tuple[str, ...]:
    try:
        return tuple(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)
    except ValueError as exc:
        raise StyleError(f"The prompt has a broken placeholder ({exc}); use {{slot}} with braces.") from exc


def _require(spec: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in spec:
        raise StyleError(f"{where}: missing field '{key}'.")
    value = spec[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise StyleError(f"{where}: '{key}' has the wrong type ({type(value).__name__}).")
    return value


def _number(
    spec: Mapping[str, Any], key: str, default: float, low: float, high: float, *, where: str
) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StyleError(f"{where}: '{key}' must be a number.")
    if not low <= value <= high:
        raise StyleError(f"{where}: '{key}' must be between {low:g} and {high:g}, got {value:g}.")
    return float(value)


def _parse_postprocess(raw: Any, where: str) -> PostProcessSettings:
    if raw is None:
        return PostProcessSettings()
    if not isinstance(raw, Mapping):
        raise StyleError(f"{where}: 'postprocess' must be a mapping.")
    unknown = set(raw) - {"background", "colour_grade", "retouch", "upscale"}
    if unknown:
        raise StyleError(f"{where}: unknown postprocess field(s) {sorted(unknown)}.")
    background = str(raw.get("background", "keep"))
    is_colour = len(background) == 7 and background.startswith("#")
    if is_colour:
        try:
            int(background[1:], 16)
        except ValueError:
            is_colour = False
    if background not in BACKGROUND_MODES and not is_colour:
        raise StyleError(
            f"{where}: postprocess background must be keep, blur or #rrggbb, got {background!r}."
        )
    grade = str(raw.get("colour_grade", "neutral"))
    if grade not in COLOUR_GRADES:
        raise StyleError(f"{where}: colour_grade {grade!r} is not one of {', '.join(COLOUR_GRADES)}.")
    upscale = raw.get("upscale", 1)
    if upscale not in (1, 2, 4):
        raise StyleError(f"{where}: upscale must be 1, 2 or 4, got {upscale!r}.")
    retouch = _number(raw, "retouch", 0.3, 0.0, 1.0, where=where)
    return PostProcessSettings(background=background, colour_grade=grade, retouch=retouch, upscale=upscale)


def _parse_strings(raw: Any, key: str, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise StyleError(f"{where}: '{key}' must map slot names to text.")
    return {str(k): v.strip() for k, v in raw.items()}


def _parse_variations(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise StyleError(f"{where}: 'variations' must map slot names to lists of text.")
    axes: dict[str, tuple[str, ...]] = {}
    for axis, values in raw.items():
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise StyleError(f"{where}: variation '{axis}' must be a non-empty list of text.")
        axes[str(axis)] = tuple(v.strip() for v in values)
    return axes


def _parse_controlnets(raw: Any, where: str) -> tuple[dict[str, float], dict[str, float]]:
    """`kind: weight` or `kind: {weight: w, end: e}` per ControlNet; (weights, ends)."""
    if raw is None:
        return {}, {}
    if not isinstance(raw, Mapping):
        raise StyleError(f"{where}: 'controlnets' must map a kind to its weight.")
    weights: dict[str, float] = {}
    ends: dict[str, float] = {}
    for kind, value in raw.items():
        if kind not in CONTROL_KINDS:
            raise StyleError(f"{where}: unknown ControlNet '{kind}'; choose from {', '.join(CONTROL_KINDS)}.")
        at = f"{where} controlnets"
        if isinstance(value, Mapping):
            unknown = set(value) - {"weight", "end"}
            if unknown:
                raise StyleError(
                    f"{at}: unknown field(s) {sorted(unknown)} for '{kind}'; use weight and end."
                )
            weights[kind] = _number(value, "weight", 0.0, 0.0, MAX_CONTROL_WEIGHT, where=f"{at} {kind}")
            ends[kind] = _number(value, "end", DEFAULT_CONTROL_END, 0.05, 1.0, where=f"{at} {kind}")
        else:
            weights[kind] = _number(raw, kind, 0.0, 0.0, MAX_CONTROL_WEIGHT, where=at)
    return weights, ends


def _check_slots(prompt: str, slots: Mapping[str, str], variations: Mapping[str, Any], where: str) -> None:
    used = _slots_in(prompt)
    for slot in (*used, *slots, *variations):
        if slot not in SLOTS:
            raise StyleError(f"{where}: unknown slot '{{{slot}}}'; slots are {', '.join(SLOTS)}.")
    if SUBJECT_SLOT not in used:
        raise StyleError(f"{where}: the prompt must contain {{subject}} (the person).")
    if SUBJECT_SLOT in slots or SUBJECT_SLOT in variations:
        raise StyleError(f"{where}: {{subject}} is filled from the selfies; do not give it a value.")
    for slot in used:
        if slot != SUBJECT_SLOT and slot not in slots and slot not in variations:
            raise StyleError(f"{where}: slot '{{{slot}}}' has no value; add it under slots or variations.")


def longest_prompt(prompt: str, slots: Mapping[str, str], variations: Mapping[str, Sequence[str]]) -> str:
    """The prompt with every slot at its longest value and a long subject: what must fit."""
    values: dict[str, str] = {
        SUBJECT_SLOT: "a woman in her 40s with glasses, a full beard and long curly hair"
    }
    for slot in VALUE_SLOTS:
        options = [*variations.get(slot, ()), *([slots[slot]] if slot in slots else [])]
        values[slot] = max(options, key=len, default="")
    return prompt.format(**values)


def parse_style(
    spec: Mapping[str, Any],
    *,
    builtin: bool,
    tokenizer: Any | None = None,
    max_tokens: int = MAX_PROMPT_TOKENS,
) -> StyleTemplate:
    """Validate one style's fields and build its template; every error names the field."""
    if not isinstance(spec, Mapping):
        raise StyleError("A style must be a mapping of fields (name, prompt, ...).")
    raw_name = spec.get("name")
    where = f"Style '{raw_name}'" if isinstance(raw_name, str) else "Style"
    name = _require(spec, "name", str, where).strip().lower()
    if not name or len(name) > 64 or not set(name) <= NAME_CHARS:
        raise StyleError(f"{where}: name must be 1-64 characters of a-z, 0-9, '-' or '_'.")
    known = {
        "name", "label", "description", "kind", "prompt", "negative_prompt", "slots", "variations",
        "controlnets", "steps", "guidance", "identity_scale", "postprocess",
    }  # fmt: skip
    unknown = set(spec) - known
    if unknown:
        raise StyleError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {', '.join(sorted(known))}.")
    prompt = " ".join(_require(spec, "prompt", str, where).split())
    kind = spec.get("kind", "headshot")
    if kind not in KINDS:
        raise StyleError(f"{where}: kind must be headshot or avatar, got {kind!r}.")
    slots = _parse_strings(spec.get("slots"), "slots", where)
    variations = _parse_variations(spec.get("variations"), where)
    _check_slots(prompt, slots, variations, where)
    negative = " ".join(str(spec.get("negative_prompt", "")).split())
    for text, label in ((longest_prompt(prompt, slots, variations), "prompt"), (negative, "negative prompt")):
        tokens = count_prompt_tokens(text, tokenizer)
        if tokens > max_tokens:
            raise StyleError(
                f"{where}: the {label} is too long for the text encoder ({tokens} tokens with the longest "
                f"values, at most {max_tokens}); shorten it or its slot values."
            )
    weights, ends = _parse_controlnets(spec.get("controlnets"), where)
    steps = spec.get("steps", 30)
    if isinstance(steps, bool) or not isinstance(steps, int) or not MIN_STEPS <= steps <= MAX_STEPS:
        raise StyleError(f"{where}: 'steps' must be a whole number from {MIN_STEPS} to {MAX_STEPS}.")
    return StyleTemplate(
        name=name,
        label=str(spec.get("label") or name.replace("-", " ").title()),
        description=str(spec.get("description", "")).strip(),
        kind=kind,
        prompt=prompt,
        negative_prompt=negative,
        slots=MappingProxyType(slots),
        variations=MappingProxyType(variations),
        controlnets=MappingProxyType(weights),
        steps=steps,
        guidance=_number(spec, "guidance", 5.0, MIN_GUIDANCE, MAX_GUIDANCE, where=where),
        identity_scale=_number(spec, "identity_scale", 0.8, 0.0, 1.5, where=where),
        postprocess=_parse_postprocess(spec.get("postprocess"), where),
        builtin=builtin,
        control_ends=MappingProxyType(ends),
    )


def validate_custom_style(
    spec: Mapping[str, Any],
    *,
    tokenizer: Any | None = None,
    reserved: Iterable[str] = (),
    max_tokens: int = MAX_PROMPT_TOKENS,
) -> StyleTemplate:
    """Check a user's or team's style before it is stored; `reserved` are names already taken
    (the built-ins), which a custom style may not shadow."""
    template = parse_style(spec, builtin=False, tokenizer=tokenizer, max_tokens=max_tokens)
    if template.name in set(reserved):
        raise StyleError(f"'{template.name}' is a built-in style; give your style another name.")
    return template


def load_builtin_styles(folder: Path = BUILTIN_DIR) -> list[StyleTemplate]:
    """Read and validate every `*.yaml` in `folder`; a bad file stops start-up naming the file."""
    templates: list[StyleTemplate] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
            template = parse_style(spec, builtin=True)
        except (yaml.YAMLError, StyleError) as exc:
            raise StyleError(f"{path.name}: {exc}") from exc
        if template.name != path.stem:
            raise StyleError(f"{path.name}: name '{template.name}' must match the file name.")
        templates.append(template)
    return templates


class StyleLibrary:
    """The styles a user can pick: built-ins plus any custom ones handed in."""

    def __init__(self, templates: Iterable[StyleTemplate]) -> None:
        self._templates: dict[str, StyleTemplate] = {}
        for template in templates:
            if template.name in self._templates:
                raise StyleError(f"Two styles are named '{template.name}'.")
            self._templates[template.name] = template

    @classmethod
    def builtin(cls, folder: Path = BUILTIN_DIR) -> StyleLibrary:
        return cls(load_builtin_styles(folder))

    def with_custom(self, templates: Iterable[StyleTemplate]) -> StyleLibrary:
        """A library that also offers `templates` (e.g. one user's saved styles)."""
        return StyleLibrary([*self._templates.values(), *templates])

    def get(self, name: str) -> StyleTemplate:
        key = name.strip().lower()
        if key not in self._templates:
            raise StyleError(f"There is no style called '{name}'. Choose one of: {', '.join(self.names())}.")
        return self._templates[key]

    def names(self, kind: StyleKind | None = None) -> list[str]:
        return [t.name for t in self.list(kind)]

    def list(self, kind: StyleKind | None = None) -> list[StyleTemplate]:
        """Templates in a stable order (built-ins first, then by name), optionally of one kind."""
        chosen = [t for t in self._templates.values() if kind is None or t.kind == kind]
        return sorted(chosen, key=lambda t: (not t.builtin, t.name))

    def control_kinds(self) -> tuple[str, ...]:
        """The ControlNet kinds some style here uses with a weight above zero: the ones a
        worker must load (`instantid` comes with the identity mode, not from here)."""
        used = {
            kind for t in self._templates.values() for kind, weight in t.controlnets.items() if weight > 0
        }
        return tuple(kind for kind in CONTROL_KINDS if kind in used and kind != "instantid")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._templates

    def __len__(self) -> int:
        return len(self._templates)
