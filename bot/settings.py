"""All configuration in one typed object.

Built once in the entry point (`Settings()`), then handed down: nothing below `bot/` reads the
environment. A bad value stops start-up with a message that names the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.preset_values import preset_overrides
from engine.generation.options import UNION_WITH_INSTANTID, DTypeName, IdentityMode, SchedulerName
from storage.s3_location import S3Location

ENV_PREFIX = "HEADSHOTS_"


class Settings(BaseSettings):
    """Every knob of the bot, the worker and the engine, read from `HEADSHOTS_*` or `.env`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # Where things live.
    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file and photos.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in data_dir.")
    redis_url: str = Field(default="", description="Redis URL; empty means embedded mode (in-process queue).")
    photo_dir: Path | None = Field(default=None, description="Photo store folder; default data_dir/photos.")
    photo_store: str = Field(
        default="",
        description="Empty: the folder photo_dir. s3://bucket/prefix: an S3-compatible bucket.",
    )
    s3_endpoint_url: str = Field(
        default="", description="S3 server URL (SeaweedFS, MinIO ...); empty is AWS."
    )
    s3_region: str = Field(default="us-east-1")
    s3_access_key_id: str = Field(default="", description="Empty: boto3's chain (AWS_* env, instance role).")
    s3_secret_access_key: str = Field(default="")
    s3_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Tries per S3 request, the first included."
    )

    # Chat platforms.
    telegram_token: str = Field(default="", description="Bot token from @BotFather.")
    telegram_base_url: str = Field(default="https://api.telegram.org/bot")
    telegram_base_file_url: str = Field(default="https://api.telegram.org/file/bot")
    telegram_webhook_url: str = Field(
        default="", description="Public HTTPS URL Telegram posts updates to; empty means long polling."
    )
    telegram_webhook_listen: str = Field(default="0.0.0.0", description="Address the webhook server binds.")  # noqa: S104
    telegram_webhook_port: int = Field(default=8443, ge=1, le=65535)
    telegram_webhook_secret: str = Field(
        default="", description="Secret Telegram echoes in a header; empty derives one from the token."
    )
    discord_token: str = Field(default="", description="Bot token from the Discord developer portal.")
    discord_api_base: str = Field(default="", description="Override of discord.py's HTTP base URL (tests).")
    discord_shard_count: int | None = Field(
        default=None,
        ge=1,
        description="Shards the Discord bot is split into across processes (unset: one process, one shard).",
    )
    discord_shard_id: int = Field(
        default=0, ge=0, description="Which shard this process runs (0 .. HEADSHOTS_DISCORD_SHARD_COUNT - 1)."
    )
    callback_secret: str = Field(
        default="",
        description="Key that signs button data (32+ bytes); empty in embedded mode: kept in data_dir.",
    )
    web_host: str = Field(
        default="127.0.0.1",
        description="Address the web studio binds; anything but loopback requires sign-in links.",
    )
    web_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Web studio port; unset: 8080 without chat tokens, else off; 0: any free port.",
    )
    public_url: str = Field(
        default="",
        description="Where people reach the web studio (https://studio.example.com): album and team links in "
        "chats need it; when set, the web studio requires a sign-in link.",
    )
    web_link_days: int = Field(default=30, ge=1, le=365, description="How long album and team links work.")
    web_sign_in_minutes: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="How long a sign-in link works (the session then lasts).",
    )
    web_session_days: int = Field(default=30, ge=1, le=365, description="How long a web sign-in lasts.")
    web_courier_interval_s: float = Field(
        default=0.5, gt=0, description="How often the web studio posts progress edits and finished albums."
    )
    telegram_max_rate: float = Field(
        default=30.0, gt=0, description="Messages per second to the Bot API overall (Telegram's limit is 30)."
    )
    telegram_concurrent_updates: int = Field(default=64, ge=1, description="Updates handled at once.")
    telegram_album_wait_s: float = Field(
        default=1.0, ge=0, description="How long an album's photos are gathered before one answer."
    )
    telegram_courier_interval_s: float = Field(
        default=1.0, gt=0, description="How often progress edits and finished albums are posted."
    )

    # Models (issue 18: a named preset fills these in; any one set explicitly wins).
    model_preset: str = Field(
        default="", description="Named model set (`headshots models` lists them); empty = the settings below."
    )
    commercial: bool = Field(
        default=False,
        description="The bot is used in a business: refuse models not cleared for commercial use.",
    )
    face_backend: Literal["dlib", "dlib5", "insightface"] = "dlib"
    grading_face_backend: Literal["auto", "dlib", "dlib5", "insightface"] = Field(
        default="auto",
        description="Face model that grades identity; auto: the other model when installed (dlib always is).",
    )
    insightface_pack: str = "buffalo_l"
    insightface_root: Path = Field(default=Path("~/.insightface").expanduser())
    base_model_id: str = "stabilityai/stable-diffusion-xl-base-1.0"
    ip_adapter_id: str = "h94/IP-Adapter-FaceID"
    ip_adapter_weight: str = "ip-adapter-faceid_sdxl.bin"
    controlnet_ids: dict[str, str] = Field(
        default_factory=lambda: {
            "depth": "diffusers/controlnet-depth-sdxl-1.0",
            "canny": "diffusers/controlnet-canny-sdxl-1.0",
            "openpose": "xinsir/controlnet-openpose-sdxl-1.0",
            "union": "xinsir/controlnet-union-sdxl-1.0",
        },
        description="Where each ControlNet kind comes from; only the kinds the styles use are loaded.",
    )
    generation_control_union: bool = Field(
        default=False,
        description="Serve every control kind the styles use from the one union ControlNet "
        "(controlnet_ids['union']); FaceID only.",
    )
    instantid_controlnet_id: str = "InstantX/InstantID"
    fast_lora_id: str = "ByteDance/SDXL-Lightning"
    fast_lora_weight: str = "sdxl_lightning_8step_lora.safetensors"
    generation_identity: IdentityMode = "faceid"
    identity_face_pack: str = Field(
        default="",
        description="insightface pack whose embeddings condition generation; empty: the identity mode's own "
        "(antelopev2 for instantid, buffalo_l for faceid); 'profile': the ranking backend's profile as is. "
        "Ranking always uses face_backend / insightface_pack.",
    )
    ip_adapter_lora_weight: str = Field(
        default="auto",
        description="FaceID companion LoRA in ip_adapter_id; auto: <weight>_lora.safetensors for FaceID "
        "weights; "
        "empty: none.",
    )
    image_encoder_id: str = Field(
        default="laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
        description="CLIP image encoder for FaceID-Plus / PlusV2 weights.",
    )
    generation_face_detail: bool = Field(
        default=True, description="Regenerate each candidate's face at higher resolution and blend it back."
    )
    generation_face_detail_strength: float = Field(default=0.4, ge=0.05, le=0.9)
    generation_scheduler: SchedulerName = "dpmpp_2m_karras"
    generation_fast: bool = Field(
        default=False, description="Few-step LoRA (fast_lora_id) instead of 30 steps."
    )
    generation_batch_size: int = Field(default=1, ge=1, le=16, description="Candidates per UNet call.")
    generation_compile: bool = Field(default=False, description="torch.compile the UNet (slow first call).")
    generation_cpu_offload: bool = Field(default=False, description="Model CPU offload for small GPUs.")
    generation_vae_tiling: bool = Field(default=False, description="Decode in tiles to save VRAM.")
    upscaler_path: Path | None = Field(default=None, description="Real-ESRGAN .pth for spandrel, if present.")
    generation_backend: Literal["diffusers", "flux2", "preview"] = "preview"
    flux2_model_id: str = Field(
        default="black-forest-labs/FLUX.2-klein-4B", description="FLUX.2 [klein] repo or folder."
    )
    flux2_steps: int = Field(
        default=4, ge=1, le=50, description="Denoising steps (klein 4B is step-distilled)."
    )
    flux2_references: int = Field(
        default=3, ge=1, le=4, description="Selfies passed to FLUX.2 as references."
    )
    flux2_reference_size: int = Field(
        default=1024, ge=64, le=1024, multiple_of=16, description="Side of each aligned reference crop."
    )
    device: str = Field(default="auto", description="torch device: auto, cpu, cuda, cuda:1 ...")
    dtype: DTypeName = "bfloat16"

    # Limits.
    min_selfies: int = Field(default=8, ge=1, le=50)
    max_selfies: int = Field(default=15, ge=1, le=100)
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=50_000_000, gt=0)
    candidates_per_order: int = Field(default=40, ge=1, le=200)
    album_size: int = Field(default=12, ge=1, le=100)
    daily_quota: int = Field(default=3, ge=0, description="Orders per user per day; 0 = unlimited.")
    active_orders_per_user: int = Field(default=1, ge=1)
    retention_days: int = Field(default=30, ge=1)
    team_reminder_before_s: float = Field(
        default=24 * 3600, ge=0, description="Team orders: remind members this long before the deadline."
    )
    rate_user_per_minute: float = Field(
        default=30.0, gt=0, description="Messages (a photo counts one) per user per minute, sustained."
    )
    rate_user_burst: int = Field(default=20, ge=1, description="Messages a user may send at once.")
    rate_chat_per_minute: float = Field(default=60.0, gt=0, description="Messages per chat per minute.")
    rate_chat_burst: int = Field(default=40, ge=1, description="Messages a chat may send at once.")
    admin_ids: list[str] = Field(
        default_factory=list,
        description='Who may /ban in chat, as JSON: ["telegram:12345", "discord:6789"].',
    )
    intake: Literal["local", "queue"] = Field(
        default="local",
        description="Photo verdicts in the bot process, or on `headshots intake` workers via Redis.",
    )
    intake_timeout_s: float = Field(
        default=20.0, gt=0, description="Wait this long for an intake worker, then judge in the bot."
    )
    intake_in_flight: int = Field(default=32, ge=1, description="Verdicts a bot process has out at once.")
    studio_daily_quota: int = Field(
        default=1,
        ge=0,
        description="Studio albums (a LoRA trained on the selfies) per user per day; 0 = unlimited.",
    )
    job_timeout_s: int = Field(default=1800, gt=0)
    worker_concurrency: int = Field(default=1, ge=1)

    # Job queue (issue 7).
    queue_name: str = Field(default="headshots", min_length=1, max_length=64)
    job_attempts: int = Field(default=3, ge=1, le=20, description="Tries per order, the first included.")
    job_retry_delay_s: float = Field(default=5.0, ge=0, description="First retry delay; doubles each retry.")
    job_heartbeat_s: int = Field(
        default=30, ge=1, description="A running job silent this long is taken as lost and re-queued."
    )
    queue_sweep_s: int = Field(default=10, ge=1, description="How often workers look for lost jobs.")
    shutdown_grace_s: int = Field(
        default=60, ge=0, description="On SIGTERM, time the current job gets to finish before re-queueing."
    )
    outbox_lease_s: int = Field(default=120, ge=1, description="A claimed delivery is retried after this.")
    outbox_max_attempts: int = Field(
        default=8, ge=1, description="Tries to post one album (backoff doubles from 30 s) before giving up."
    )

    # Studio mode (a per-person LoRA; defaults and their sources in engine/training/recipe.py).
    studio_steps: int = Field(default=500, ge=1, le=10_000, description="Training steps per studio LoRA.")
    studio_rank: int = Field(default=16, ge=1, le=256, description="LoRA rank.")
    studio_learning_rate: float = Field(default=1e-4, gt=0, lt=1)
    studio_resolution: int = Field(default=1024, ge=32, le=2048, multiple_of=8)
    studio_batch_size: int = Field(default=1, ge=1, le=16)
    studio_checkpoint_every: int = Field(
        default=50, ge=1, description="Steps between checkpoints (a killed worker's successor resumes there)."
    )
    studio_class_images: int = Field(
        default=12, ge=0, le=200, description="Prior-preservation images from the base model; 0 turns it off."
    )
    studio_class_steps: int = Field(default=25, ge=1, le=100)
    studio_gradient_checkpointing: bool = True
    studio_minutes: int = Field(
        default=10,
        ge=1,
        description='What the "Studio album (about N minutes)" button says before any was timed.',
    )

    # Observability.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = Field(default=True, description="One JSON object per log line.")
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0 disables /metrics and /healthz.")

    _explicit: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @field_validator("model_preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        from engine.catalogue.presets import PRESETS

        value = value.strip()
        if value and value not in PRESETS:
            raise ValueError(f"unknown preset {value!r}; choose one of: {', '.join(PRESETS)}")
        return value

    @model_validator(mode="after")
    def _fill_from_preset(self) -> Settings:
        self._explicit = frozenset(self.model_fields_set)
        for name, value in preset_overrides(self.model_preset, self._explicit).items():
            object.__setattr__(self, name, value)
        return self

    @model_validator(mode="after")
    def _union_without_instantid(self) -> Settings:
        if self.generation_control_union and self.generation_identity == "instantid":
            raise ValueError(UNION_WITH_INSTANTID)
        return self

    @model_validator(mode="after")
    def _shard_in_range(self) -> Settings:
        count = self.discord_shard_count
        if count is not None and self.discord_shard_id >= count:
            raise ValueError(
                f"HEADSHOTS_DISCORD_SHARD_ID must be below HEADSHOTS_DISCORD_SHARD_COUNT ({count}): "
                f"got {self.discord_shard_id}; shards are numbered 0 .. {count - 1}"
            )
        return self

    @property
    def explicit_fields(self) -> frozenset[str]:
        """The settings given explicitly (environment, `.env`, arguments): they beat the preset."""
        return self._explicit

    @field_validator("database_url", "redis_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            msg = "must start with redis://, rediss:// or unix:// (or be empty for embedded mode)"
            raise ValueError(msg)
        return value

    @field_validator("web_port", mode="before")
    @classmethod
    def _unset_port(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("https://", "http://")):
            msg = "must start with https:// (or http:// behind a proxy on one machine), or be empty"
            raise ValueError(msg)
        return value

    @field_validator("photo_store")
    @classmethod
    def _photo_store_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            S3Location.parse(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _db_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            msg = "must be a sqlite:/// or postgresql+psycopg:// URL (or empty for SQLite in data_dir)"
            raise ValueError(msg)
        return value

    @property
    def effective_database_url(self) -> str:
        """The URL to connect to; SQLite under `data_dir` unless one is given."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'headshots.db').resolve()}"

    @property
    def effective_photo_dir(self) -> Path:
        return self.photo_dir if self.photo_dir is not None else self.data_dir / "photos"

    @property
    def embedded(self) -> bool:
        """No Redis configured: the worker runs inside `headshots serve`."""
        return not self.redis_url


class SettingsError(RuntimeError):
    """Start-up configuration is wrong; the message names the variable to fix."""


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one readable line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            if err["loc"]:
                lines.append(f"{ENV_PREFIX}{str(err['loc'][0]).upper()}: {err['msg']}")
            else:  # a check across settings: its message names them
                lines.append(str(err["msg"]).removeprefix("Value error, "))
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(lines)) from exc
