"""A tiny insightface model pack built in code: same inputs and outputs as buffalo_l's files.

The real `FaceAnalysis` / model_zoo code loads these and runs them, so the insightface
backend is exercised end to end without the 300 MB pack (which cannot be downloaded here).
The "detector" fires on bright square patches (so a test can place a face), the "ArcFace"
is a fixed random projection of the aligned 112 px face, the age/gender head answers a
fixed 35-year-old with masculine presentation, the 3-D landmark model answers
insightface's own mean face shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13)]
STRIDES = (8, 16, 32)
AGE, MALE_LOGITS = 0.35, (0.2, 0.8)
KEYPOINTS = np.array([[-0.6, -0.4], [0.6, -0.4], [0.0, 0.1], [-0.5, 0.6], [0.5, 0.6]], np.float32)
"""Eye, nose and mouth positions in stride units around the detection centre."""


def _save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=OPSET)
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def detector(path: Path) -> None:
    """SCRFD layout: 9 outputs (score, box, keypoints for strides 8/16/32), 2 anchors each."""
    nodes = [helper.make_node("ReduceMean", ["input.1"], ["gray"], axes=[1], keepdims=1)]
    inits = [
        _const("steep", np.array(12.0, np.float32)),
        _const("level", np.array(0.5, np.float32)),
        _const("off", np.array(-30.0, np.float32)),
        _const("zero", np.array(0.0, np.float32)),
        _const("flat2", np.array([-1, 1], np.int64)),
        _const("flat4", np.array([-1, 4], np.int64)),
        _const("flat10", np.array([-1, 10], np.int64)),
        _const("box", np.full((1, 8, 1, 1), 3.0, np.float32)),
        _const("kps", np.tile(KEYPOINTS.reshape(1, 10, 1, 1), (1, 2, 1, 1))),
    ]
    outputs: dict[str, list[onnx.ValueInfoProto]] = {"score": [], "bbox": [], "kps": []}
    for stride in STRIDES:
        s = str(stride)
        nodes.append(
            helper.make_node(
                "AveragePool", ["gray"], [f"pool{s}"], kernel_shape=[stride, stride], strides=[stride, stride]
            )
        )
        nodes.append(helper.make_node("Mul", [f"pool{s}", "zero"], [f"z{s}"]))
        if stride == 32:
            nodes += [
                helper.make_node("Sub", [f"pool{s}", "level"], [f"d{s}"]),
                helper.make_node("Mul", [f"d{s}", "steep"], [f"logit{s}"]),
            ]
        else:
            nodes.append(helper.make_node("Add", [f"z{s}", "off"], [f"logit{s}"]))
        nodes += [
            helper.make_node("Sigmoid", [f"logit{s}"], [f"p{s}"]),
            helper.make_node("Concat", [f"p{s}", f"p{s}"], [f"pp{s}"], axis=1),
            helper.make_node("Transpose", [f"pp{s}"], [f"pt{s}"], perm=[0, 2, 3, 1]),
            helper.make_node("Reshape", [f"pt{s}", "flat2"], [f"score_{s}"]),
            helper.make_node("Add", [f"z{s}", "box"], [f"b{s}"]),
            helper.make_node("Transpose", [f"b{s}"], [f"bt{s}"], perm=[0, 2, 3, 1]),
            helper.make_node("Reshape", [f"bt{s}", "flat4"], [f"bbox_{s}"]),
            helper.make_node("Add", [f"z{s}", "kps"], [f"k{s}"]),
            helper.make_node("Transpose", [f"k{s}"], [f"kt{s}"], perm=[0, 2, 3, 1]),
            helper.make_node("Reshape", [f"kt{s}", "flat10"], [f"kps_{s}"]),
        ]
        outputs["score"].append(helper.make_tensor_value_info(f"score_{s}", TensorProto.FLOAT, ["n", 1]))
        outputs["bbox"].append(helper.make_tensor_value_info(f"bbox_{s}", TensorProto.FLOAT, ["n", 4]))
        outputs["kps"].append(helper.make_tensor_value_info(f"kps_{s}", TensorProto.FLOAT, ["n", 10]))
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "h", "w"])
    graph = helper.make_graph(
        nodes, "tiny_scrfd", [image], outputs["score"] + outputs["bbox"] + outputs["kps"], initializer=inits
    )
    _save(graph, path)


def arcface(path: Path, dim: int = 512) -> None:
    """112x112 face in, `dim` features out: average-pooled 8x8 colours through a fixed projection."""
    rng = np.random.default_rng(7)
    inits = [_const("proj", rng.normal(size=(192, dim)).astype(np.float32))]
    nodes = [
        helper.make_node("AveragePool", ["input.1"], ["pool"], kernel_shape=[14, 14], strides=[14, 14]),
        helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "proj"], ["683"]),
    ]
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["n", 3, 112, 112])
    out = helper.make_tensor_value_info("683", TensorProto.FLOAT, ["n", dim])
    _save(helper.make_graph(nodes, "tiny_arcface", [image], [out], initializer=inits), path)


def _constant_head(path: Path, size: int, values: np.ndarray, name: str) -> None:
    """A head that ignores its input (times zero) and answers `values`."""
    inits = [
        _const("zero", np.array(0.0, np.float32)),
        _const("answer", values.reshape(1, -1).astype(np.float32)),
    ]
    nodes = [
        helper.make_node("ReduceMean", ["data"], ["m"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
        helper.make_node("Unsqueeze", ["z", "ax"], ["z2"]),
        helper.make_node("Add", ["z2", "answer"], ["fc1"]),
    ]
    inits.append(_const("ax", np.array([1], np.int64)))
    image = helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, size, size])
    out = helper.make_tensor_value_info("fc1", TensorProto.FLOAT, [1, values.size])
    _save(helper.make_graph(nodes, name, [image], [out], initializer=inits), path)


def genderage(path: Path) -> None:
    _constant_head(path, 96, np.array([*MALE_LOGITS, AGE], np.float32), "tiny_genderage")


def landmark_3d68(path: Path) -> None:
    from insightface.data import get_object

    mean_shape = np.asarray(get_object("meanshape_68.pkl"), np.float32)
    values = np.zeros((1103, 3), np.float32)
    values[-68:] = mean_shape
    _constant_head(path, 192, values.flatten(), "tiny_landmark_3d_68")


def build_pack(root: Path, pack: str = "buffalo_l") -> Path:
    """Write the tiny pack as `root/models/<pack>/*.onnx`; return the folder."""
    folder = root / "models" / pack
    folder.mkdir(parents=True, exist_ok=True)
    detector(folder / "det_10g.onnx")
    arcface(folder / "w600k_r50.onnx")
    genderage(folder / "genderage.onnx")
    landmark_3d68(folder / "1k3d68.onnx")
    return folder


def build_antelopev2(root: Path) -> Path:
    """The tiny pack under antelopev2's file names (InstantID's detector and glintr100)."""
    folder = root / "models" / "antelopev2"
    folder.mkdir(parents=True, exist_ok=True)
    detector(folder / "scrfd_10g_bnkps.onnx")
    arcface(folder / "glintr100.onnx")
    return folder
