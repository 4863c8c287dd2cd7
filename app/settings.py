"""All runtime settings in one place, read from the environment (prefix ``RNNVIS_``)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Limits, device and worker settings. Override any field with ``RNNVIS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RNNVIS_", extra="ignore")

    max_batch: int = Field(16, ge=1, description="Most examples in one run (B).")
    max_steps: int = Field(1000, ge=1, description="Most timesteps in one run (T).")
    max_input_size: int = Field(256, ge=1, description="Largest input vector (D).")
    max_hidden_size: int = Field(512, ge=1, description="Largest hidden size (H).")
    max_layers: int = Field(8, ge=1, description="Most stacked layers.")
    max_numbers: int = Field(
        6_000_000, ge=1, description="Most numbers one response may carry (all arrays together)."
    )
    max_body_bytes: int = Field(8_000_000, ge=1024, description="Largest request body in bytes.")

    # The analyses of SPEC section 6 (connectivity's cost grows with T², D and (S·H)²).
    max_analysis_steps: int = Field(
        200, ge=1, description="Most timesteps (T) of a run that asks for connectivity."
    )
    max_connectivity_macs: int = Field(
        500_000_000_000,
        ge=1,
        description="Most multiply-adds connectivity may cost, estimated from the request's "
        "sizes (about 10 s on one core of the development machine; the engine runs one job at "
        "a time).",
    )

    max_query_bytes: int = Field(
        16_384, ge=256, description="Longest query string of GET /api/run in bytes (else 414)."
    )

    device: Literal["auto", "cpu", "gpu"] = Field(
        "auto", description="Where TensorFlow runs: auto picks the GPU only when it is faster."
    )
    gpu_min_step_macs: int = Field(
        4_000_000,
        ge=0,
        description="With device=auto and a GPU: the smallest run sent to the GPU, in "
        "multiply-adds of one recurrent step (batch x directions x H x G*H). Smaller runs are "
        "step loops of tiny kernels, faster on the CPU.",
    )
    intra_op_threads: int = Field(
        1,
        ge=0,
        description="TensorFlow intra-op threads (0 = TF default). One is fastest for these "
        "step loops and leaves the other cores to the HTTP server (docs/PERFORMANCE.md).",
    )
    inter_op_threads: int = Field(
        1, ge=0, description="TensorFlow inter-op threads (0 = TF default)."
    )
    queue_size: int = Field(64, ge=1, description="Runs waiting for the worker before 503.")
    request_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Deadline of a request, counted from its arrival: a run that cannot finish "
        "by then is refused with 503 at once; one that finishes later is still cached.",
    )
    prepare_threads: int = Field(
        1,
        ge=1,
        description="Threads that read large bodies, draw seeded weights and serialise large "
        "results (off the event loop; numpy's BLAS runs single-threaded in them).",
    )
    prepare_queue_size: int = Field(
        64, ge=1, description="Large requests waiting for a preparation thread before 503."
    )
    warm_presets: bool = Field(True, description="Trace and run every preset at start-up.")
    cache_entries: int = Field(256, ge=0, description="Results kept in the in-memory cache.")
    cache_max_bytes: int = Field(
        256_000_000, ge=0, description="Bytes of serialised results the cache may hold."
    )
    cache_max_age_s: int = Field(
        86_400, ge=0, description="Cache-Control max-age of GET /api/run responses, in seconds."
    )

    # ---- training (SPEC section 8; hidden size and layers use the run limits above) ----------
    max_train_epochs: int = Field(500, ge=1, description="Most epochs of one training.")
    max_train_text: int = Field(
        200, ge=2, description="Longest training text in characters (T + 1 steps)."
    )
    max_train_vocabulary: int = Field(
        64, ge=2, description="Largest vocabulary of a training (C, the classes of the head)."
    )
    max_concurrent_trainings: int = Field(
        2, ge=1, description="Trainings on the engine at once (their epochs take turns)."
    )
    train_queue_size: int = Field(8, ge=0, description="Trainings waiting for a slot before 503.")
    train_timeout_s: float = Field(
        120.0,
        gt=0,
        description="Deadline of a training, counted from its request's arrival, waiting "
        "included: a training still running then is stopped (503).",
    )

    # ---- where the engine runs (SPEC §11, docs/DEPLOY.md) ----------------------------------------
    executor: Literal["local", "ray"] = Field(
        "local",
        description="local: the engine on a thread of this process. ray: on Ray Serve replicas, "
        "each with its own TensorFlow and device (pip install -e '.[ray]').",
    )
    ray_address: str = Field(
        "",
        description="With executor=ray: the Ray cluster to join (auto, host:port or "
        "ray://host:10001); empty starts a local Ray for this process and stops it on exit.",
    )
    ray_replicas: int = Field(2, ge=1, description="With executor=ray: engine replicas.")
    ray_gpus_per_replica: float = Field(
        0, ge=0, description="With executor=ray: GPUs each replica reserves (fractions share one)."
    )


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (a FastAPI dependency; tests override it)."""
    return Settings()
