"""The licences of the models we load, each with the page it was read from and a verdict.

A verdict is one word a business owner can act on:

- ``commercial``: the licence allows use in a paid product (use-based restrictions, such as
  OpenRAIL++'s, may still apply and are noted);
- ``research-only``: the licence or the model card excludes commercial use;
- ``restricted``: commercial use needs a separate permission or legal advice;
- ``unknown``: we found no licence at the source; treat it as not cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["commercial", "research-only", "restricted", "unknown"]
VERDICTS: tuple[Verdict, ...] = ("commercial", "research-only", "restricted", "unknown")


@dataclass(frozen=True)
class Licence:
    """A licence as it applies to one model file, with where that was read."""

    name: str
    url: str
    verdict: Verdict
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


OPENRAIL_PP = Licence(
    "CreativeML Open RAIL++-M",
    "https://github.com/Stability-AI/generative-models/blob/main/model_licenses/LICENSE-SDXL1.0",
    "commercial",
    "Commercial use allowed; Attachment A's use-based restrictions pass on to every user and derivative.",
)
APACHE_2 = Licence("Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0", "commercial")
FACEID_NOTE = (
    "The card: 'As InsightFace pretrained models are available for non-commercial research "
    "purposes, IP-Adapter-FaceID models are released exclusively for research purposes and is "
    "not intended for commercial use.'"
)
IP_ADAPTER_FACEID = Licence(
    "Research only (model card)",
    "https://huggingface.co/h94/IP-Adapter-FaceID",
    "research-only",
    FACEID_NOTE,
)
INSIGHTFACE_MODELS = Licence(
    "InsightFace pretrained models: non-commercial research only",
    "https://github.com/deepinsight/insightface/tree/master/python-package#license",
    "research-only",
    "The library code is MIT; 'the pretrained models we provided with this library are available "
    "for non-commercial research purposes only, including both auto-downloading models and "
    "manual-downloading models.' Covers buffalo_l and antelopev2.",
)
INSTANTID = Licence(
    "Apache-2.0 (card) but needs InsightFace antelopev2",
    "https://huggingface.co/InstantX/InstantID",
    "research-only",
    "The weights' card says Apache-2.0, but InstantID was trained on and runs with antelopev2 "
    "face embeddings, which are non-commercial research only (see InstantX/InstantID discussion #2).",
)
DLIB_68 = Licence(
    "Public domain by its author; training data (iBUG 300-W) excludes commercial use",
    "https://github.com/davisking/dlib-models#shape_predictor_68_face_landmarksdatbz2",
    "research-only",
    "dlib-models: 'The license for this dataset excludes commercial use and Stefanos Zafeiriou ... "
    "asked me to include a note here saying that the trained model therefore can't be used in a "
    "commerical product.'",
)
DLIB_PUBLIC_DOMAIN_5 = Licence(
    "Public domain (dlib-models)",
    "https://github.com/davisking/dlib-models#shape_predictor_5_face_landmarksdatbz2",
    "commercial",
    "Trained on dlib's own 5-point dataset of 7198 faces that Davis King downloaded and annotated.",
)
DLIB_PUBLIC_DOMAIN_RESNET = Licence(
    "Public domain (dlib-models)",
    "https://github.com/davisking/dlib-models#dlib_face_recognition_resnet_model_v1datbz2",
    "commercial",
    "Released into the public domain by its author. About half of its ~3 M training faces come from "
    "the FaceScrub and VGG Face research datasets; the model's own terms put no limit on use, but a "
    "cautious business should take legal advice on that provenance.",
)
FLUX2_KLEIN_4B = Licence(
    "Apache-2.0",
    "https://github.com/black-forest-labs/flux2#model-overview",
    "commercial",
    "FLUX.2 [klein] 4B (and its Qwen3-4B text encoder and VAE as shipped in the repo) is "
    "Apache-2.0; the 9B variants and FLUX.2 [dev] are under the FLUX Non-Commercial License.",
)
REAL_ESRGAN = Licence(
    "BSD-3-Clause (earlier revisions MIT)",
    "https://github.com/xinntao/Real-ESRGAN/blob/master/LICENSE",
    "commercial",
    "Both licences are permissive. The released weights were trained on DF2K/OST images.",
)
UNKNOWN = Licence(
    "Not recorded",
    "",
    "unknown",
    "No licence was found at the source; check the model card before any commercial use.",
)
NO_MODEL = Licence("No model file", "", "commercial", "Code only (this repository's licence).")
