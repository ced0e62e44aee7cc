"""Prompts to SDXL conditioning, without silently cutting long prompts at 77 tokens.

`compel` splits a long prompt into 75-token windows, encodes each through both SDXL text
encoders and concatenates them, and supports `(word)1.2` weighting. It works unchanged with
transformers 5 (checked by the tests with real CLIP classes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from compel.convenience_wrappers import CompelForSDXL


@dataclass(frozen=True)
class PromptEmbeddings:
    """What `StableDiffusionXLPipeline.__call__` takes instead of prompt strings."""

    prompt_embeds: torch.Tensor
    pooled_prompt_embeds: torch.Tensor
    negative_prompt_embeds: torch.Tensor
    negative_pooled_prompt_embeds: torch.Tensor

    def as_kwargs(self) -> dict[str, torch.Tensor]:
        return {
            "prompt_embeds": self.prompt_embeds,
            "pooled_prompt_embeds": self.pooled_prompt_embeds,
            "negative_prompt_embeds": self.negative_prompt_embeds,
            "negative_pooled_prompt_embeds": self.negative_pooled_prompt_embeds,
        }


class PromptEncoder:
    """Encodes batches of (prompt, negative) pairs with the pipeline's two text encoders.

    Each distinct text is encoded once and kept (up to `cache_size` texts): an order's
    candidates share one negative prompt and many prompt variants, and compel's parser costs
    tens of milliseconds of CPU per text.
    """

    def __init__(self, pipe: Any, device: torch.device, cache_size: int = 64) -> None:
        self._compel = CompelForSDXL(pipe, device=str(device))
        self._cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._cache_size = cache_size

    def _encode_text(self, text: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(1, windows x 77, dim) hidden states and (1, pooled_dim) pooled output of `text`."""
        if text in self._cache:
            self._cache.move_to_end(text)
            return self._cache[text]
        with torch.no_grad():
            out = self._compel(main_prompt=[text])
        self._cache[text] = (out.embeds, out.pooled_embeds)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return self._cache[text]

    def encode(self, prompts: Sequence[str], negatives: Sequence[str]) -> PromptEmbeddings:
        if len(prompts) != len(negatives):
            raise ValueError(f"{len(prompts)} prompts but {len(negatives)} negative prompts")
        encoded = [self._encode_text(text) for text in [*prompts, *negatives]]
        length = max(hidden.shape[1] for hidden, _ in encoded)
        empty = self._encode_text("")[0]
        # Like compel: shorter texts are padded with whole windows of the empty prompt.
        hidden = torch.cat(
            [
                torch.cat([h, empty.repeat(1, (length - h.shape[1]) // empty.shape[1], 1)], dim=1)
                for h, _ in encoded
            ]
        )
        pooled = torch.cat([p for _, p in encoded])
        count = len(prompts)
        return PromptEmbeddings(
            prompt_embeds=hidden[:count],
            pooled_prompt_embeds=pooled[:count],
            negative_prompt_embeds=hidden[count:],
            negative_pooled_prompt_embeds=pooled[count:],
        )
