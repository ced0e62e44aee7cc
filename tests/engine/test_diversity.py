"""The album is chosen by MMR over the shot descriptor: one of each look, the best of each."""

from __future__ import annotations

from dataclasses import replace

from engine.descriptor import aspect_distances, shot_distance
from engine.diversity import select_diverse
from engine.types import ShotDescriptor

BASE = ShotDescriptor(
    yaw=0.0, pitch=0.0, roll=0.0, face_x=0.5, eye_line=0.4, face_height=0.3, mouth_open=0.0, smile=0.9,
    light_lr=0.0, light_tb=0.0, backdrop_lab=(50.0, 0.0, 0.0), attire_lab=(30.0, 0.0, 0.0),
    params={"reference": "a.jpg", "light": "left", "zoom": "head"},
)  # fmt: skip


def _look(yaw: float, seed_jitter: float = 0.0) -> ShotDescriptor:
    return replace(BASE, yaw=yaw + seed_jitter, params={**BASE.params, "reference": f"{yaw}.jpg"})


def test_three_looks_of_four_samples_each_give_the_best_of_each_look() -> None:
    looks = [-15.0, 0.0, 15.0]
    descriptors = [_look(yaw, jitter) for yaw in looks for jitter in (0.0, 0.4, 0.8, 1.2)]
    # The frontal look scores best in all four samples: top-k would keep only frontal shots.
    scores = [0.9 - 0.01 * n if yaw == 0.0 else 0.7 - 0.01 * n for yaw in looks for n in range(4)]
    selection = select_diverse(scores, descriptors, keep=3)
    assert sorted(descriptors[i].yaw for i in selection.order) == [-15.0, 0.0, 15.0]
    # Each kept image is the best-scoring sample of its look.
    assert sorted(selection.order) == [0, 4, 8]
    assert selection.order[0] == 4, "best first"
    # Every sample is clustered with the kept image of its look.
    for index, descriptor in enumerate(descriptors):
        kept = descriptors[selection.order[selection.clusters[index]]]
        assert abs(kept.yaw - descriptor.yaw) < 2


def test_a_much_better_image_is_not_traded_for_a_slightly_different_one() -> None:
    descriptors = [BASE, replace(BASE, light_lr=0.03), replace(BASE, yaw=20.0)]
    selection = select_diverse([0.9, 0.2, 0.8], descriptors, keep=2)
    assert sorted(selection.order) == [0, 2]


def test_distance_sees_pose_expression_light_and_colour() -> None:
    assert shot_distance(BASE, BASE) == 0.0
    parts = aspect_distances(
        BASE, replace(BASE, yaw=12.0, mouth_open=0.3, light_lr=0.3, backdrop_lab=(50, 40, 0))
    )
    assert parts["pose"] == parts["expression"] == parts["light"] == parts["colour"] == 1.0
    assert parts["framing"] == parts["params"] == 0.0
    again = ShotDescriptor.from_json(BASE.to_json())
    assert shot_distance(again, BASE) < 1e-6
