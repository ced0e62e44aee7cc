"""The face model whose embeddings condition generation, apart from the one that ranks.

Each identity adapter was trained on one face-recognition network's embedding space:
InstantID on insightface's `antelopev2` (glintr100), fed the raw (unnormalised) embedding;
IP-Adapter-FaceID on `buffalo_l` (w600k_r50), fed the L2-normalised one. Ranking may use
another backend entirely (dlib, or buffalo_l for InstantID orders), so the worker loads this
encoder beside the ranking analyzer and `Settings.identity_face_pack` names its pack.

The person's embedding is taken from the selfies the intake's robust profile kept (its
`member_names`): the mean direction of their embeddings, at their median length when the
adapter wants raw vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ModelUnavailableError
from engine.faces.insightface_backend import onnx_providers
from engine.types import AssessedPhoto, Face, FloatArray, IdentityProfile, ImageArray, as_array

PACK_FILES = {
    "antelopev2": ("scrfd_10g_bnkps.onnx", "glintr100.onnx"),
    "buffalo_l": ("det_10g.onnx", "w600k_r50.onnx"),
}
"""Detection and recognition files of the packs the adapters were trained with."""


def _unit(vector: FloatArray) -> FloatArray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


class FaceEncoder:
    """Detection + recognition of one insightface pack; `normalise` says which form the
    adapter takes (False for InstantID). Load once per worker."""

    def __init__(self, *, pack: str, root: Path, normalise: bool, device: str = "cpu") -> None:
        folder = Path(root).expanduser() / "models" / pack
        wanted = PACK_FILES.get(pack, ())
        missing = [name for name in wanted if not (folder / name).is_file()]
        if missing or not folder.is_dir() or not any(folder.glob("*.onnx")):
            names = ", ".join(missing or wanted or ("*.onnx",))
            raise ModelUnavailableError(
                f"The identity face pack '{pack}' is missing {names} in {folder}: unzip {pack}.zip "
                "(insightface's model packs, see github.com/deepinsight/insightface, python-package) "
                f"so that those files sit directly in {folder} (the antelopev2 zip nests a second "
                f"'{pack}' folder: move its files up), or set HEADSHOTS_IDENTITY_FACE_PACK."
            )
        from insightface.app import FaceAnalysis

        providers = onnx_providers(device)
        gpu = providers[0] == "CUDAExecutionProvider"
        ctx_id = (int(device.split(":", 1)[1]) if ":" in device else 0) if gpu else -1
        self._app: Any = FaceAnalysis(
            name=pack, root=str(Path(root).expanduser()), providers=providers,
            allowed_modules=["detection", "recognition"],
        )  # fmt: skip
        if "recognition" not in self._app.models or "detection" not in self._app.models:
            raise ModelUnavailableError(
                f"The insightface pack '{pack}' in {folder} lacks detection or recognition."
            )
        self._app.prepare(ctx_id=ctx_id, det_size=(640, 640))
        self.pack = pack
        self.normalise = normalise
        self.providers = tuple(providers)
        self.embedding_dim = int(self._app.models["recognition"].session.get_outputs()[0].shape[1])

    def detect(self, image: ImageArray) -> list[Face]:
        """Faces, biggest first, with keypoints and the embedding in the adapter's form."""
        found = self._app.get(np.ascontiguousarray(image[:, :, ::-1]))
        faces = []
        for item in found:
            raw = np.asarray(item.embedding, np.float32)
            faces.append(
                Face(
                    bbox=tuple(float(v) for v in item.bbox),  # type: ignore[arg-type]
                    score=float(item.det_score),
                    landmarks=np.asarray(item.kps, np.float32),
                    embedding=_unit(raw) if self.normalise else raw,
                )
            )
        return sorted(faces, key=lambda face: face.width * face.height, reverse=True)

    def selfie_face(self, selfie: AssessedPhoto) -> Face | None:
        """This encoder's view of the face the intake found (nearest centre), or None."""
        faces = self.detect(as_array(selfie.photo.image))
        if not faces or selfie.face is None:
            return faces[0] if faces else None
        x0, y0, x1, y1 = selfie.face.bbox
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        return min(
            faces,
            key=lambda f: float(
                np.linalg.norm(np.array([(f.bbox[0] + f.bbox[2]) / 2, (f.bbox[1] + f.bbox[3]) / 2]) - centre)
            ),
        )

    def identity(self, profile: IdentityProfile, selfies: Sequence[AssessedPhoto]) -> FloatArray:
        """The person's embedding for the adapter, from the selfies the profile kept."""
        members = set(profile.member_names)
        chosen = [s for s in selfies if s.photo.name in members] or list(selfies)
        vectors = [
            f.embedding for s in chosen if (f := self.selfie_face(s)) is not None and f.embedding is not None
        ]
        if not vectors:
            raise ModelUnavailableError(
                f"The identity face model ({self.pack}) found no face in the selfies the intake accepted.",
                code="no_identity_face",
            )
        stacked = np.stack(vectors).astype(np.float32)
        direction = _unit(np.stack([_unit(v) for v in stacked]).mean(axis=0))
        if self.normalise:
            return direction
        return (direction * float(np.median(np.linalg.norm(stacked, axis=1)))).astype(np.float32)
