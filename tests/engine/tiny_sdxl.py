"""Tiny SDXL-shaped components with random weights, built the way diffusers' own tests do.

Real classes and real config shapes (two CLIP text encoders, a `text_time` UNet, a VAE, a
ControlNet from the UNet, an IP-Adapter-FaceID checkpoint), small enough to run a whole
pipeline on CPU in well under a second per step. Saved with `save_pretrained` so the backend
loads them through its real loading code from local folders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch
from diffusers import (
    AutoencoderKL,
    ControlNetModel,
    ControlNetUnionModel,
    EulerDiscreteScheduler,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

from engine.generation.options import ModelIds

ID_EMBED_DIM = 512
"""ArcFace's size, what IP-Adapter-FaceID expects."""
IP_ADAPTER_WEIGHT = "ip-adapter-faceid_tiny.bin"
FACEID_LORA_WEIGHT = "ip-adapter-faceid_tiny_lora.safetensors"
PLUSV2_WEIGHT = "ip-adapter-faceid-plusv2_tiny.bin"
PLUSV2_LORA_WEIGHT = "ip-adapter-faceid-plusv2_tiny_lora.safetensors"
INSTANTID_ADAPTER_WEIGHT = "ip-adapter.bin"
INSTANTID_TOKENS = 16
CLIP_HIDDEN = 32
FAST_LORA_WEIGHT = "tiny_lightning_lora.safetensors"
CONTROL_EMBEDDING_CHANNELS = (16, 32)
"""One downsampling step, matching the tiny VAE's factor of 2."""


@dataclass(frozen=True)
class TinyModels:
    base: Path
    ip_adapter: Path
    controlnets: dict[str, Path]
    instantid: Path
    fast_lora: Path
    image_encoder: Path

    def model_ids(self) -> ModelIds:
        """The backend's view of these folders."""
        return ModelIds(
            base=self.base,
            ip_adapter=self.ip_adapter,
            ip_adapter_weight=IP_ADAPTER_WEIGHT,
            controlnets=MappingProxyType(dict(self.controlnets)),
            instantid=self.instantid,
            fast_lora=self.fast_lora,
            fast_lora_weight=FAST_LORA_WEIGHT,
            image_encoder=self.image_encoder,
        )


def _bytes_to_unicode() -> list[str]:
    """CLIP's byte-level alphabet (every byte as a printable character)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(code) for code in codes]


def make_tokenizer(folder: Path) -> CLIPTokenizer:
    """A character-level CLIP tokenizer (no merges): real class, 514-entry vocabulary."""
    folder.mkdir(parents=True, exist_ok=True)
    chars = _bytes_to_unicode()
    vocab = {token: index for index, token in enumerate([*chars, *(c + "</w>" for c in chars)])}
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(
        vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"), model_max_length=77
    )


def make_pipeline(tokenizer: CLIPTokenizer) -> StableDiffusionXLPipeline:
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=80,  # 6 time ids x 8 + text_encoder_2's 32
        cross_attention_dim=64,  # 32 + 32 from the two text encoders
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, steps_offset=1, beta_schedule="scaled_linear",
        timestep_spacing="leading",
    )  # fmt: skip
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        sample_size=64,
    )
    text_config = CLIPTextConfig(
        bos_token_id=512, eos_token_id=513, pad_token_id=513, hidden_size=32, intermediate_size=37,
        layer_norm_eps=1e-05, num_attention_heads=4, num_hidden_layers=3, vocab_size=600,
        hidden_act="gelu", projection_dim=32,
    )  # fmt: skip
    return StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(text_config),
        text_encoder_2=CLIPTextModelWithProjection(text_config),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
    )


def faceid_state_dict(unet: Any, embed_dim: int = ID_EMBED_DIM) -> dict[str, dict[str, torch.Tensor]]:
    """IP-Adapter-FaceID's checkpoint layout: an MLP projection to 4 tokens plus one
    to_k_ip/to_v_ip pair per cross-attention layer, numbered as the original repo does."""
    generator = torch.Generator().manual_seed(1)
    image_proj = _id_projection(embed_dim, unet.config.cross_attention_dim, generator)
    return {"image_proj": image_proj, "ip_adapter": _kv_layers(unet, generator)}


def _id_projection(embed_dim: int, cross_dim: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """FaceID's MLP from the embedding to 4 tokens (`proj.0`, `proj.2`) and their LayerNorm."""
    tokens = 4
    return {
        "proj.0.weight": torch.randn(embed_dim * 2, embed_dim, generator=generator) * 0.05,
        "proj.0.bias": torch.zeros(embed_dim * 2),
        "proj.2.weight": torch.randn(cross_dim * tokens, embed_dim * 2, generator=generator) * 0.05,
        "proj.2.bias": torch.zeros(cross_dim * tokens),
        "norm.weight": torch.ones(cross_dim),
        "norm.bias": torch.zeros(cross_dim),
    }


def _kv_layers(unet: Any, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """One to_k_ip/to_v_ip pair per cross-attention layer, numbered as the original repos do."""
    cross_dim = unet.config.cross_attention_dim
    layers: dict[str, torch.Tensor] = {}
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = unet.config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(unet.config.block_out_channels))[int(name[len("up_blocks.")])]
        else:
            hidden = unet.config.block_out_channels[int(name[len("down_blocks.")])]
        layers[f"{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross_dim, generator=generator) * 0.3
        layers[f"{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross_dim, generator=generator) * 0.3
        key_id += 2
    return layers


def _perceiver(
    prefix: str, width: int, generator: torch.Generator, depth: int = 4, heads: int = 1
) -> dict[str, torch.Tensor]:
    """The layers of IP-Adapter's Resampler / FacePerceiverResampler in the original layout
    (`layers.i.0` attention with norm1/norm2/to_q/to_kv/to_out, `layers.i.1` the FFN)."""
    inner = 64 * heads
    state: dict[str, torch.Tensor] = {}
    for i in range(depth):
        at = f"{prefix}layers.{i}."
        for norm in ("norm1", "norm2"):
            state[f"{at}0.{norm}.weight"] = torch.ones(width)
            state[f"{at}0.{norm}.bias"] = torch.zeros(width)
        state[f"{at}0.to_q.weight"] = torch.randn(inner, width, generator=generator) * 0.1
        state[f"{at}0.to_kv.weight"] = torch.randn(2 * inner, width, generator=generator) * 0.1
        state[f"{at}0.to_out.weight"] = torch.randn(width, inner, generator=generator) * 0.1
        state[f"{at}1.0.weight"] = torch.ones(width)
        state[f"{at}1.0.bias"] = torch.zeros(width)
        state[f"{at}1.1.weight"] = torch.randn(width * 4, width, generator=generator) * 0.1
        state[f"{at}1.3.weight"] = torch.randn(width, width * 4, generator=generator) * 0.1
    return state


def instantid_state_dict(
    unet: Any, embed_dim: int = ID_EMBED_DIM, width: int = 64
) -> dict[str, dict[str, torch.Tensor]]:
    """InstantID's ip-adapter.bin layout: a Resampler (16 learned queries attending to the
    projected face embedding) and the to_k_ip/to_v_ip layers; `width` 64 is one head
    (InstantID's own: 1280, 20 heads)."""
    cross_dim = unet.config.cross_attention_dim
    generator = torch.Generator().manual_seed(3)
    image_proj = {
        "latents": torch.randn(1, INSTANTID_TOKENS, width, generator=generator) / width**0.5,
        "proj_in.weight": torch.randn(width, embed_dim, generator=generator) * 0.05,
        "proj_in.bias": torch.zeros(width),
        "proj_out.weight": torch.randn(cross_dim, width, generator=generator) * 0.2,
        "proj_out.bias": torch.zeros(cross_dim),
        "norm_out.weight": torch.ones(cross_dim),
        "norm_out.bias": torch.zeros(cross_dim),
        **_perceiver("", width, generator, heads=width // 64),
    }
    return {"image_proj": image_proj, "ip_adapter": _kv_layers(unet, generator)}


def faceid_plus_state_dict(
    unet: Any, embed_dim: int = ID_EMBED_DIM, clip_hidden: int = CLIP_HIDDEN
) -> dict[str, dict[str, torch.Tensor]]:
    """IP-Adapter-FaceID-Plus(V2)'s layout: the id MLP to 4 tokens, then a perceiver over the
    CLIP image encoder's patch features (`perceiver_resampler.*`), cross_dim / 64 heads."""
    cross_dim = unet.config.cross_attention_dim
    generator = torch.Generator().manual_seed(4)
    image_proj = {
        **_id_projection(embed_dim, cross_dim, generator),
        "perceiver_resampler.proj_in.weight": torch.randn(cross_dim, clip_hidden, generator=generator) * 0.2,
        "perceiver_resampler.proj_in.bias": torch.zeros(cross_dim),
        "perceiver_resampler.proj_out.weight": torch.randn(cross_dim, cross_dim, generator=generator) * 0.2,
        "perceiver_resampler.proj_out.bias": torch.zeros(cross_dim),
        "perceiver_resampler.norm_out.weight": torch.ones(cross_dim),
        "perceiver_resampler.norm_out.bias": torch.zeros(cross_dim),
        **_perceiver("perceiver_resampler.", cross_dim, generator, heads=cross_dim // 64),
    }
    return {"image_proj": image_proj, "ip_adapter": _kv_layers(unet, generator)}


def save_image_encoder(folder: Path) -> None:
    """A tiny CLIP vision tower (real class), standing in for CLIP ViT-H/14."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(5)
    config = CLIPVisionConfig(
        hidden_size=CLIP_HIDDEN, intermediate_size=37, num_attention_heads=4, num_hidden_layers=3,
        image_size=224, patch_size=32, projection_dim=32,
    )  # fmt: skip
    CLIPVisionModelWithProjection(config).save_pretrained(folder)


def _randomise_zero_convs(controlnet: Any) -> None:
    """`from_unet` zero-initialises the hint embedding's last conv and the output convs (a new
    ControlNet starts as a no-op); random values stand in for trained weights so that the
    conditioning image visibly reaches the UNet."""
    zero_convs = [
        controlnet.controlnet_cond_embedding.conv_out,
        *controlnet.controlnet_down_blocks,
        controlnet.controlnet_mid_block,
    ]
    for conv in zero_convs:
        torch.nn.init.normal_(conv.weight, std=0.5)


def make_union_controlnet(unet: Any) -> Any:
    """xinsir's union ControlNet (`ControlNetUnionModel`) at the tiny UNet's size: the
    control-type transformer narrowed to the UNet's 32 channels (the real one: 320, its
    first block's width), six control types as controlnet-union-sdxl-1.0 has."""
    shaped = ControlNetUnionModel.from_unet(
        unet, conditioning_embedding_out_channels=CONTROL_EMBEDDING_CHANNELS
    )
    width = unet.config.block_out_channels[0]
    config = {k: v for k, v in shaped.config.items() if k != "_use_default_values"}
    union = ControlNetUnionModel.from_config(
        {**config, "num_trans_channel": width, "num_proj_channel": width, "num_trans_head": 2}
    )
    _randomise_zero_convs(union)
    torch.nn.init.normal_(union.spatial_ch_projs.weight, std=0.5)
    return union


def save_tiny_lora(unet: Any, folder: Path, weight_name: str = FAST_LORA_WEIGHT, seed: int = 13) -> None:
    """A random LoRA on the UNet's attention projections, saved in diffusers' LoRA format
    (the layout SDXL-Lightning / Hyper-SD publish), standing in for the few-step LoRA and
    FaceID's companion LoRA."""
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    copy = UNet2DConditionModel.from_config(unet.config)
    torch.manual_seed(seed)
    copy.add_adapter(
        LoraConfig(
            r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"], init_lora_weights=False
        )
    )
    StableDiffusionXLPipeline.save_lora_weights(
        folder, unet_lora_layers=get_peft_model_state_dict(copy), weight_name=weight_name
    )


def save_tiny_models(root: Path) -> TinyModels:
    """Build and save everything the diffusers backend loads, under `root`."""
    pipe: Any = make_pipeline(make_tokenizer(root / "tokenizer-src"))
    base = root / "tiny-sdxl"
    pipe.save_pretrained(base)
    controlnets = {}
    for index, kind in enumerate(("canny", "openpose")):
        torch.manual_seed(10 + index)
        controlnet = ControlNetModel.from_unet(
            pipe.unet, conditioning_embedding_out_channels=CONTROL_EMBEDDING_CHANNELS
        )
        _randomise_zero_convs(controlnet)
        controlnets[kind] = root / f"controlnet-{kind}"
        controlnet.save_pretrained(controlnets[kind])
    torch.manual_seed(16)
    controlnets["union"] = root / "controlnet-union"
    make_union_controlnet(pipe.unet).save_pretrained(controlnets["union"])
    torch.manual_seed(12)
    identity_net = ControlNetModel.from_unet(
        pipe.unet, conditioning_embedding_out_channels=CONTROL_EMBEDDING_CHANNELS
    )
    _randomise_zero_convs(identity_net)
    instantid = root / "instantid"
    identity_net.save_pretrained(instantid / "ControlNetModel")
    torch.save(instantid_state_dict(pipe.unet), instantid / INSTANTID_ADAPTER_WEIGHT)
    ip_adapter = root / "ip-adapter-faceid"
    ip_adapter.mkdir()
    torch.save(faceid_state_dict(pipe.unet), ip_adapter / IP_ADAPTER_WEIGHT)
    torch.save(faceid_plus_state_dict(pipe.unet), ip_adapter / PLUSV2_WEIGHT)
    save_tiny_lora(pipe.unet, ip_adapter, FACEID_LORA_WEIGHT, seed=14)
    save_tiny_lora(pipe.unet, ip_adapter, PLUSV2_LORA_WEIGHT, seed=15)
    fast_lora = root / "fast-lora"
    save_tiny_lora(pipe.unet, fast_lora)
    image_encoder = root / "clip-vision"
    save_image_encoder(image_encoder)
    return TinyModels(
        base=base, ip_adapter=ip_adapter, controlnets=controlnets, instantid=instantid, fast_lora=fast_lora,
        image_encoder=image_encoder,
    )  # fmt: skip


def load_tiny_backend(models: TinyModels, folder: Path, *, embed_dim: int = 128) -> Any:
    """The diffusers backend on the tiny models on CPU, with a face-ID adapter sized for
    `embed_dim`-value embeddings (dlib's 128 by default) and the openpose ControlNet the
    built-in styles use."""
    from engine.generation.diffusers_backend import DiffusersBackend
    from engine.generation.options import GenerationOptions

    unet = UNet2DConditionModel.from_pretrained(models.base, subfolder="unet")
    torch.save(faceid_state_dict(unet, embed_dim=embed_dim), folder / IP_ADAPTER_WEIGHT)
    ids = ModelIds(
        base=models.base,
        ip_adapter=folder,
        ip_adapter_weight=IP_ADAPTER_WEIGHT,
        controlnets=MappingProxyType({"openpose": models.controlnets["openpose"]}),
    )
    options = GenerationOptions(
        device="cpu", dtype="float32", controlnets=("openpose",), scheduler="euler", local_files_only=True
    )
    return DiffusersBackend.load(ids, options)
