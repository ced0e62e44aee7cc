"""FLUX.2 [klein] 4B's published component configs, for full-size random-weight benchmarks.

From black-forest-labs/FLUX.2-klein-4B: `transformer/config.json` (5 double-stream and 20
single-stream blocks, 24 heads of 128, text width 3 x 2560 = 7680, no guidance embedding);
the text encoder is Qwen3-4B (36 layers, width 2560, 32 query / 8 key-value heads); the VAE
is diffusers' `AutoencoderKLFlux2` default (32 latent channels, 8x downsampling).
"""

from __future__ import annotations

from typing import Any

TRANSFORMER: dict[str, Any] = {
    "patch_size": 1,
    "in_channels": 128,
    "num_layers": 5,
    "num_single_layers": 20,
    "attention_head_dim": 128,
    "num_attention_heads": 24,
    "joint_attention_dim": 7680,
    "timestep_guidance_channels": 256,
    "mlp_ratio": 3.0,
    "axes_dims_rope": (32, 32, 32, 32),
    "rope_theta": 2000,
    "eps": 1e-6,
    "guidance_embeds": False,
}
TEXT_ENCODER: dict[str, Any] = {
    "hidden_size": 2560,
    "intermediate_size": 9728,
    "num_hidden_layers": 36,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 151936,
    "max_position_embeddings": 40960,
    "rope_theta": 1_000_000,
    "tie_word_embeddings": True,
}
VAE: dict[str, Any] = {}
"""`AutoencoderKLFlux2()` defaults are FLUX.2's VAE."""
TEXT_TOKENS = 512
"""The pipeline pads every prompt to `max_sequence_length` = 512 tokens."""
