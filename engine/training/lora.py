"""The person's LoRA on the shared SDXL UNet: attach for training, save, load for one order.

The base models are loaded once per worker and shared by every order, so a person's
adapter must never outlive the call that needs it: `attached` loads it, makes it the
active adapter next to the worker's own (the few-step LoRA), and removes it afterwards,
even on error. `unet_lock` serialises everything that changes or uses the UNet's adapters
in one process, so one person's LoRA can never shape another person's order.
"""

from __future__ import annotations

import json
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_safetensors

TRAIN_ADAPTER = "studio_training"
PERSON_ADAPTER = "studio_person"
TARGET_MODULES = ("to_q", "to_k", "to_v", "to_out.0")
WEIGHT_NAME = "pytorch_lora_weights.safetensors"

_locks: weakref.WeakKeyDictionary[Any, threading.RLock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def unet_lock(unet: Any) -> threading.RLock:
    """The one lock for `unet`'s adapters (hold it while training or generating with it)."""
    with _locks_guard:
        lock = _locks.get(unet)
        if lock is None:
            lock = _locks[unet] = threading.RLock()
        return lock


@dataclass(frozen=True)
class PersonLora:
    """A trained LoRA (diffusers' safetensors layout) and what generation must know about it."""

    weights: bytes
    token: str
    class_noun: str
    base_model: str
    rank: int
    steps: int

    @property
    def prompt_prefix(self) -> str:
        return f"photo of {self.token} {self.class_noun}"

    def metadata(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "weights"}

    def metadata_json(self) -> bytes:
        return json.dumps(self.metadata(), indent=2).encode()

    @classmethod
    def from_parts(cls, weights: bytes, metadata: bytes) -> PersonLora:
        data = json.loads(metadata)
        return cls(
            weights=weights,
            token=str(data["token"]),
            class_noun=str(data["class_noun"]),
            base_model=str(data["base_model"]),
            rank=int(data["rank"]),
            steps=int(data["steps"]),
        )


def add_training_adapter(unet: Any, rank: int) -> list[torch.nn.Parameter]:
    """Freeze the UNet, add a fresh LoRA (gaussian A, zero B: a no-op at step 0) and return
    its parameters in float32 (the optimiser keeps full-precision copies)."""
    from peft import LoraConfig

    unet.requires_grad_(requires_grad=False)
    config = LoraConfig(
        r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=list(TARGET_MODULES)
    )
    unet.add_adapter(config, adapter_name=TRAIN_ADAPTER)
    unet.set_adapter(TRAIN_ADAPTER)
    params = [p for p in unet.parameters() if p.requires_grad]
    for param in params:
        param.data = param.data.float()
    return params


def adapter_state(unet: Any) -> dict[str, torch.Tensor]:
    """The training adapter's weights (peft keys), detached copies on the CPU."""
    from peft.utils import get_peft_model_state_dict

    state = get_peft_model_state_dict(unet, adapter_name=TRAIN_ADAPTER)
    return {key: value.detach().to("cpu", copy=True) for key, value in state.items()}


def load_adapter_state(unet: Any, state: dict[str, torch.Tensor]) -> None:
    from peft import set_peft_model_state_dict

    set_peft_model_state_dict(unet, state, adapter_name=TRAIN_ADAPTER)


def remove_training_adapter(unet: Any, previous: Sequence[str]) -> None:
    """Delete the training adapter and re-activate the adapters the worker had before."""
    unet.delete_adapters(TRAIN_ADAPTER)
    if previous:
        unet.set_adapters(list(previous))


def save_weights(pipeline_class: Any, unet: Any) -> bytes:
    """The training adapter as a diffusers LoRA file (what `load_lora_weights` reads)."""
    from diffusers.utils import state_dict_utils
    from peft.utils import get_peft_model_state_dict

    convert: Any = state_dict_utils.convert_state_dict_to_diffusers
    layers = convert(get_peft_model_state_dict(unet, adapter_name=TRAIN_ADAPTER))
    with tempfile.TemporaryDirectory() as folder:
        pipeline_class.save_lora_weights(folder, unet_lora_layers=layers, weight_name=WEIGHT_NAME)
        return (Path(folder) / WEIGHT_NAME).read_bytes()


def active_adapters(unet: Any) -> list[str]:
    return list(getattr(unet, "peft_config", {}) or {})


@contextmanager
def attached(pipe: Any, lora: PersonLora, others: Sequence[str] = ()) -> Iterator[None]:
    """`lora` active on `pipe`'s UNet (beside `others`) for the block, removed afterwards.

    Hold `unet_lock(pipe.unet)` around this: the UNet is shared by every order.
    """
    pipe.load_lora_weights(load_safetensors(lora.weights), adapter_name=PERSON_ADAPTER)
    try:
        names = [*others, PERSON_ADAPTER]
        pipe.set_adapters(names, adapter_weights=[1.0] * len(names))
        yield
    finally:
        pipe.delete_adapters(PERSON_ADAPTER)
        if others:
            pipe.set_adapters(list(others), adapter_weights=[1.0] * len(others))
