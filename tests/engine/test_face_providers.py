"""insightface runs on the GPU when the worker does."""

from __future__ import annotations

import logging

import onnxruntime
import pytest

from engine.faces.providers import onnx_providers


def test_cpu_worker_uses_the_cpu_provider() -> None:
    assert onnx_providers("cpu") == (["CPUExecutionProvider"], -1)


def test_cuda_worker_uses_the_cuda_provider_on_its_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    available = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: available)
    assert onnx_providers("cuda") == (available, 0)
    assert onnx_providers("cuda:1") == (available, 1)


def test_cuda_worker_without_onnxruntime_gpu_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with caplog.at_level(logging.WARNING):
        assert onnx_providers("cuda") == (["CPUExecutionProvider"], -1)
    assert "onnxruntime-gpu" in caplog.text
