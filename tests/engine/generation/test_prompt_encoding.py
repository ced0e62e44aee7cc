"""Long prompts are chunked (compel), not cut at CLIP's 77 tokens, with transformers 5."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from compel import Compel
from diffusers import StableDiffusionXLPipeline

from engine.generation.prompt_encoding import PromptEncoder
from engine.prompts import negative_prompt, plan_candidates, subject_traits
from engine.styles import StyleLibrary
from tests.engine.tiny_sdxl import TinyModels


@pytest.fixture(scope="module")
def encoder(tiny_models: TinyModels) -> PromptEncoder:
    pipe: Any = StableDiffusionXLPipeline.from_pretrained(str(tiny_models.base), local_files_only=True)
    return PromptEncoder(pipe, torch.device("cpu"))


def test_every_builtin_style_parses_and_encodes(encoder: PromptEncoder) -> None:
    library = StyleLibrary.builtin()
    specs = [plan_candidates(template, [], 1, seed=0)[0] for template in library.list()]
    for spec in specs:  # compel's weighting grammar accepts every built-in text
        assert Compel.parse_prompt_string(spec.prompt).prompts
        assert Compel.parse_prompt_string(spec.negative_prompt).prompts
    chosen = specs[:2]
    out = encoder.encode([s.prompt for s in chosen], [s.negative_prompt for s in chosen])
    assert out.prompt_embeds.shape[0] == 2
    assert out.prompt_embeds.shape == out.negative_prompt_embeds.shape
    assert out.prompt_embeds.shape[-1] == 64  # both text encoders' hidden states side by side
    assert out.pooled_prompt_embeds.shape == (2, 32)
    assert torch.isfinite(out.prompt_embeds).all()


def test_words_past_the_first_window_still_count(encoder: PromptEncoder) -> None:
    # The test tokenizer is character-level, so this is far past 77 tokens.
    head = "professional corporate headshot photograph of a person in a navy suit, " * 2
    a = encoder.encode([head + "red background"], ["blurry"])
    b = encoder.encode([head + "blue background"], ["blurry"])
    assert a.prompt_embeds.shape[1] > 77
    assert not torch.equal(a.prompt_embeds, b.prompt_embeds)


def test_weighting_syntax_changes_the_conditioning(encoder: PromptEncoder) -> None:
    plain = encoder.encode(["a portrait, soft light"], [""])
    weighted = encoder.encode(["a portrait, (soft light)1.5"], [""])
    assert not torch.equal(plain.prompt_embeds, weighted.prompt_embeds)


def test_mismatched_negatives_are_refused(encoder: PromptEncoder) -> None:
    with pytest.raises(ValueError, match="2 prompts but 1 negative"):
        encoder.encode(["a", "b"], ["c"])


def test_negative_prompt_helper_is_used_as_is() -> None:
    template = StyleLibrary.builtin().get("anime")
    assert negative_prompt(template, subject_traits([])).startswith(template.negative_prompt)


def test_batched_equals_one_by_one_and_pads_short_prompts(encoder: PromptEncoder) -> None:
    long = "professional corporate headshot photograph of a person in a navy suit, " * 2
    both = encoder.encode([long, "short"], ["blurry", "blurry"])
    alone = encoder.encode(["short"], ["blurry"])
    assert both.prompt_embeds.shape[1] > alone.prompt_embeds.shape[1]
    width = alone.prompt_embeds.shape[1]
    assert torch.equal(both.prompt_embeds[1:, :width], alone.prompt_embeds)
    assert torch.equal(both.pooled_prompt_embeds[1:], alone.pooled_prompt_embeds)
