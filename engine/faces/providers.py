"""Where insightface's ONNX models run: on the GPU when the worker does."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def onnx_providers(device: str) -> tuple[list[str], int]:
    """(execution providers, insightface ctx_id) for a torch device name: the CUDA provider
    when the worker runs on CUDA and onnxruntime has it, else the CPU (with a warning)."""
    if not device.startswith("cuda"):
        return ["CPUExecutionProvider"], -1
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        log.warning(
            "the worker runs on %s but onnxruntime has no CUDA provider; face models run on the CPU "
            "(install onnxruntime-gpu to move them to the GPU)",
            device,
        )
        return ["CPUExecutionProvider"], -1
    index = int(device.split(":", 1)[1]) if ":" in device else 0
    return ["CUDAExecutionProvider", "CPUExecutionProvider"], index
