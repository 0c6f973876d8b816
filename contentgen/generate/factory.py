"""Create generators by name, loading each model once per process."""

from __future__ import annotations

import functools
import importlib.util

from contentgen.errors import ConfigError
from contentgen.generate.base import Generator
from contentgen.generate.models import model_spec

BACKENDS: tuple[str, ...] = ("auto", "llamacpp", "transformers", "echo")
# llama.cpp where it is installed (about 3x the tokens/s of transformers on a 2-core CPU, a tenth of
# the memory, JSON-constrained; see bench/RESULTS.md), transformers otherwise
DEFAULT_BACKEND = "auto"
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


def resolve_backend(backend: str = DEFAULT_BACKEND) -> str:
    """The backend ``auto`` stands for here: llamacpp when llama-cpp-python imports, else transformers."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown generator backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    return "llamacpp" if importlib.util.find_spec("llama_cpp") is not None else "transformers"


def create_generator(backend: str = DEFAULT_BACKEND, model: str = DEFAULT_MODEL, **options) -> Generator:
    """A new generator (loads the model: seconds to a minute). Prefer ``shared_generator`` in apps."""
    backend = resolve_backend(backend)
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
