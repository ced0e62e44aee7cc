"""A tiny FLUX.2 [klein] pipeline with random weights, built as diffusers' own tests build it
(tests/pipelines/flux2/test_pipeline_flux2_klein.py): the real classes (Flux2Transformer2DModel,
Qwen3ForCausalLM, AutoencoderKLFlux2, FlowMatchEulerDiscreteScheduler) at toy sizes, and a
byte-level Qwen2 tokenizer made here (diffusers' test downloads one; we cannot). The text
encoder is deeper than theirs so the pipeline's default hidden layers exist. Saved with
`save_pretrained`, so the backend loads it through its real loading code from a folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from diffusers import (
    AutoencoderKLFlux2,
    FlowMatchEulerDiscreteScheduler,
    Flux2KleinPipeline,
    Flux2Transformer2DModel,
)
from transformers import Qwen2Tokenizer, Qwen3Config, Qwen3ForCausalLM

from engine.generation.flux2_options import Flux2Options
from tests.engine.tiny_sdxl import _bytes_to_unicode

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TEXT_LAYERS = 27
"""Enough tiny Qwen3 layers for the pipeline's default stack of hidden layers 9, 18 and 27
(the real encoder has 36), so the tiny model runs with production's settings."""
HIDDEN = 16


def make_qwen_tokenizer(folder: Path) -> Qwen2Tokenizer:
    """Byte-level BPE with no merges (one token per byte) plus Qwen's chat special tokens."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {char: index for index, char in enumerate(_bytes_to_unicode())}
    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=[],
        unk_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": list(SPECIAL_TOKENS[1:])})
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_pipeline(folder: Path) -> Any:
    """The components of diffusers' fast test, seeded, as a pipeline."""
    torch.manual_seed(0)
    transformer = Flux2Transformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=3 * HIDDEN,  # three stacked text-encoder layers, as 3 x 2560 = 7680 in klein 4B
        timestep_guidance_channels=256,
        axes_dims_rope=[4, 4, 4, 4],
        guidance_embeds=False,
    )
    tokenizer = make_qwen_tokenizer(folder / "tokenizer-src")
    config = Qwen3Config(
        intermediate_size=HIDDEN,
        hidden_size=HIDDEN,
        num_hidden_layers=TEXT_LAYERS,
        num_attention_heads=2,
        num_key_value_heads=2,
        vocab_size=len(tokenizer),
        max_position_embeddings=512,
    )
    torch.manual_seed(0)
    text_encoder = Qwen3ForCausalLM(config)
    torch.manual_seed(0)
    vae = AutoencoderKLFlux2(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=1,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )
    return assemble(transformer, text_encoder, tokenizer, vae)


def assemble(transformer: Any, text_encoder: Any, tokenizer: Any, vae: Any) -> Any:
    """A distilled klein pipeline (no CFG) from its components, with the flow-match scheduler."""
    pipe: Any = Flux2KleinPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        is_distilled=True,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def save_tiny_flux2(folder: Path) -> Path:
    """Build and `save_pretrained` the tiny pipeline; returns the model folder."""
    model = folder / "flux2-tiny"
    pipe: Any = tiny_pipeline(folder)
    pipe.save_pretrained(model)
    return model


def tiny_options(model: str | Path, **changes: object) -> Flux2Options:
    """Options that run the tiny model on CPU: 2 steps, 64 px references (the pipeline's minimum)."""
    values: dict[str, object] = {
        "model": model,
        "device": "cpu",
        "dtype": "float32",
        "steps": 2,
        "references": 3,
        "reference_size": 64,
        "max_sequence_length": 32,
        "local_files_only": True,
        **changes,
    }
    return Flux2Options(**values)  # type: ignore[arg-type]
