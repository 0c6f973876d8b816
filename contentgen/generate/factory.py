"""Create generators by name, loading each model once per process."""

from __future__ import annotations

import functools

from contentgen.errors import ConfigError
from contentgen.generate.base import Generator
from contentgen.generate.models import model_spec

BACKENDS: tuple[str, ...] = ("transformers", "llamacpp", "echo")
DEFAULT_BACKEND = "transformers"
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
FAST_MODEL = "qwen2.5-coder-0.5b"
TINY_MODEL = "smollm2-135m"


def create_generator(backend: str = DEFAULT_BACKEND, model: str = DEFAULT_MODEL, **options) -> Generator:
    """A new generator (loads the model: seconds to a minute). Prefer ``shared_generator`` in apps."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown generator backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    if backend == "echo":
        from contentgen.generate.backends.echo import EchoGenerator

        return EchoGenerator(**options)
    model_spec(model)  # fail fast on a typo, before heavy imports
    if backend == "transformers":
        from contentgen.generate.backends.transformers import TransformersGenerator

        return TransformersGenerator(model, **options)
    from contentgen.generate.backends.llamacpp import LlamaCppGenerator

    return LlamaCppGenerator(model, **options)


@functools.lru_cache(maxsize=2)
def shared_generator(backend: str = DEFAULT_BACKEND, model: str = DEFAULT_MODEL) -> Generator:
    """One generator per (backend, model) for the whole process: loading a model is the slow part."""
    return create_generator(backend, model)
