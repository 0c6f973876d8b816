"""Create a campaign engine by name."""

from __future__ import annotations

from typing import Callable

from contentgen.campaign.engines.base import Engine, EngineSpec
from contentgen.errors import ConfigError
from contentgen.generate.base import Generator

ENGINES: tuple[str, ...] = ("local", "ray")


def create_engine(name: str, spec: EngineSpec, generator_factory: Callable[[], Generator], **options) -> Engine:
    """``local`` (this process) or ``ray`` (Ray Data; needs the ``ray`` extra)."""
    if name == "local":
        from contentgen.campaign.engines.local import LocalEngine

        return LocalEngine(spec, generator_factory)
    if name == "ray":
        from contentgen.campaign.engines.ray import RayEngine

        return RayEngine(spec, generator_factory, **options)
    raise ConfigError(f"unknown campaign engine {name!r}; choose one of: {', '.join(ENGINES)}")
