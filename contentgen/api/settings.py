"""Settings of the HTTP service: limits that keep one machine answering under any load."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ApiSettings(BaseModel):
    """Request size, rate and queue limits; the defaults suit one shop on a small machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Larger request bodies get 413.")
    requests_per_minute: float = Field(600, gt=0, description="Per key, every endpoint but /health.")
    request_burst: int = Field(60, ge=1, description="Requests a key may make at once before the rate applies.")
    generations_per_minute: float = Field(30, gt=0, description="Per key, POST /generate on top of the request rate.")
    generation_burst: int = Field(5, ge=1)
    # The model runs one request at a time (it uses every core); the rest wait in a fair queue,
    # round-robin between keys. Beyond these the service answers 503 with Retry-After.
    max_queued_generations: int = Field(32, ge=1)
    max_queued_per_key: int = Field(8, ge=1)
    max_variants: int = Field(5, ge=1, le=20)
    max_recommendations: int = Field(50, ge=1, le=500)
    max_feedback_rows: int = Field(1000, ge=1)
    # Campaign runs (POST /campaigns): their files and records go under campaigns_dir; audience
    # files are read only from inside audience_dir. None: no campaign runs (501).
    campaigns_dir: Path | None = None
    audience_dir: Path = Path(".")
