"""docker-compose.yml and .env.example stay in step with the settings class.

Docker does not run on these machines, so the compose file is checked by parsing it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ENV_PREFIX, Settings

REPO = Path(__file__).resolve().parents[1]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def _known_variables() -> set[str]:
    return {ENV_PREFIX + name.upper() for name in Settings.model_fields}


def test_compose_has_the_services() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "objectstore", "bot", "worker", "migrate"} <= set(services)
    gpu = services["worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("postgres", "redis", "objectstore"):
        assert "healthcheck" in services[name]
    for name in ("bot", "worker", "migrate"):
        assert services[name]["environment"]["HEADSHOTS_PHOTO_STORE"].startswith("s3://")


def test_compose_variables_exist_in_settings() -> None:
    known = _known_variables()
    for name, service in _compose()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith(ENV_PREFIX):
                assert variable in known, f"{name}: {variable} is not a setting"
        if "worker" in name or "bot" in name:
            assert service["environment"]["HEADSHOTS_REDIS_URL"].startswith("redis://")


def test_env_example_names_only_real_settings() -> None:
    text = (REPO / ".env.example").read_text()
    variables = re.findall(r"^(HEADSHOTS_[A-Z_]+)=", text, flags=re.MULTILINE)
    assert variables
    assert set(variables) <= _known_variables()
