"""Style templates: the built-ins load, and a bad custom style is refused with a usable reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import StyleError
from engine.prompt_length import MAX_PROMPT_TOKENS, estimate_tokens
from engine.styles import StyleLibrary, load_builtin_styles, parse_style, validate_custom_style

HEADSHOTS = {"corporate", "creative", "healthcare", "legal", "startup", "academic", "real-estate", "outdoor"}
AVATARS = {"illustrated", "anime", "cartoon-3d", "fantasy", "cyberpunk", "watercolour"}


def custom(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "team-blue",
        "description": "Our team look",
        "prompt": "headshot of {subject} wearing {attire}, {background}",
        "slots": {"attire": "a blue polo shirt"},
        "variations": {"background": ["a blue wall", "a white wall"]},
        "controlnets": {"canny": 0.3},
    }
    spec.update(changes)
    return spec


@pytest.fixture(scope="module")
def library() -> StyleLibrary:
    return StyleLibrary.builtin()


def test_builtin_styles_cover_the_issue(library: StyleLibrary) -> None:
    assert set(library.names("headshot")) == HEADSHOTS
    assert set(library.names("avatar")) == AVATARS
    for template in library.list():
        assert template.description
        assert template.variations, template.name
        assert "{subject}" in template.prompt


def test_get_unknown_style_lists_the_choices(library: StyleLibrary) -> None:
    assert library.get(" Corporate ").name == "corporate"
    with pytest.raises(StyleError, match=r"no style called 'glamour'.*corporate"):
        library.get("glamour")


def test_custom_style_is_validated_and_added(library: StyleLibrary) -> None:
    template = validate_custom_style(custom(), reserved=library.names())
    assert not template.builtin
    assert template.slots["attire"] == "a blue polo shirt"
    assert template.controlnets == {"canny": 0.3}
    combined = library.with_custom([template])
    assert combined.get("team-blue") is template
    assert combined.names()[-1] == "team-blue"
    assert "team-blue" not in library


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prompt": "photo of {subject} in {hat}"}, r"unknown slot '\{hat\}'"),
        ({"prompt": "photo of a person, {background}"}, r"must contain \{subject\}"),
        ({"prompt": "photo of {subject} with {lighting}"}, r"'\{lighting\}' has no value"),
        ({"prompt": "photo of {subject"}, "broken placeholder"),
        ({"prompt": None}, "'prompt' has the wrong type"),
        ({"controlnets": {"canny": 3.0}}, "between 0 and 2"),
        ({"controlnets": {"scribble": 0.5}}, "unknown ControlNet 'scribble'"),
        ({"controlnets": {"canny": {"weight": 0.2, "end": 1.5}}}, "'end' must be between 0.05 and 1"),
        ({"controlnets": {"canny": {"weight": 0.2, "start": 0.1}}}, r"unknown field\(s\) \['start'\]"),
        ({"guidance": 40}, "'guidance' must be between"),
        ({"steps": 500}, "'steps' must be a whole number"),
        ({"kind": "cartoon"}, "kind must be headshot or avatar"),
        ({"name": "Team Blue!"}, "name must be"),
        ({"colour": "blue"}, r"unknown field\(s\) \['colour'\]"),
        ({"postprocess": {"colour_grade": "sepia-ish"}}, "colour_grade 'sepia-ish'"),
        ({"postprocess": {"background": "#12zz00"}}, "keep, blur or #rrggbb"),
        ({"name": "corporate"}, "built-in style"),
    ],
)
def test_custom_style_errors_name_the_problem(
    library: StyleLibrary, changes: dict[str, Any], message: str
) -> None:
    spec = custom(**changes)
    if spec["prompt"] is None:
        del spec["prompt"]
        message = "missing field 'prompt'"
    with pytest.raises(StyleError, match=message):
        validate_custom_style(spec, reserved=library.names())


def test_prompt_too_long_for_the_text_encoder() -> None:
    long_background = ", ".join(["a very detailed backdrop with many intricate ornaments"] * 20)
    assert estimate_tokens(long_background) > MAX_PROMPT_TOKENS
    with pytest.raises(StyleError, match="too long for the text encoder"):
        validate_custom_style(custom(variations={"background": ["a wall", long_background]}))


def test_token_count_uses_a_tokenizer_when_given(clip_tokenizer: Any) -> None:
    text = "headshot of {subject} wearing {attire}, {background}"
    spec = custom(prompt=text)
    template = validate_custom_style(spec, tokenizer=clip_tokenizer)
    assert template.prompt == text
    with pytest.raises(StyleError, match="too long"):
        validate_custom_style(spec, tokenizer=clip_tokenizer, max_tokens=5)


def test_bad_builtin_file_stops_start_up_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: broken\nprompt: photo of {subject} {nope}\n")
    with pytest.raises(StyleError, match=r"broken.yaml: .*unknown slot"):
        load_builtin_styles(tmp_path)
    (tmp_path / "broken.yaml").write_text("name: other\nprompt: photo of {subject}\n")
    with pytest.raises(StyleError, match="must match the file name"):
        load_builtin_styles(tmp_path)


def test_builtin_styles_condition_on_pose_and_let_go_early(library: StyleLibrary) -> None:
    for template in library.list():
        assert set(template.controlnets) == {"openpose"}, template.name
        assert 0.4 <= template.control_ends["openpose"] <= 0.6, template.name
    corporate = library.get("corporate")
    again = parse_style(
        {"name": "copy", "prompt": "photo of {subject}", "controlnets": corporate.controlnets_spec()},
        builtin=False,
    )
    assert (dict(again.controlnets), dict(again.control_ends)) == ({"openpose": 0.6}, {"openpose": 0.6})
