"""The llama.cpp backend (optional extra ``llamacpp``): the same GGUF files, faster single-stream,
with JSON-schema constrained decoding. Samples are decoded one after another (no batching)."""

from __future__ import annotations

import atexit
import logging
import os
from pathlib import Path
import time
import weakref
from typing import Iterator, Sequence

from contentgen.errors import ModelNotInstalled
from contentgen.generate.base import ChatPrompt, Generation, SamplingSettings, cut_at_stop
from contentgen.generate.models import model_path

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "the llama.cpp backend needs the optional extra: "
    "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'contentgen[llamacpp]' "
    "(builds from source in 3-5 minutes; the portable flag avoids a crash of the native build), "
    "or use --backend transformers"
)


def _close_if_alive(reference: "weakref.ref") -> None:
    llama = reference()
    if llama is not None:
        llama.close()


class LlamaCppGenerator:
    """A llama.cpp model loaded once; ``generate`` loops over prompts and samples."""

    def __init__(
        self,
        model: str = "qwen2.5-coder-1.5b",
        threads: int | None = None,
        context: int = 2048,
        cache_dir: str | Path | None = None,
        constrain_json: bool = True,
    ) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelNotInstalled(INSTALL_HINT) from error
        self.name = f"llamacpp:{model}"
        self.batches = False
        # JSON-schema constrained decoding always parses, but its grammar check over the whole
        # vocabulary costs about 40% of the tokens/s here (bench/generate.py measures both)
        self.constrain_json = constrain_json
        threads = threads or os.cpu_count() or 2
        self.model_name = model
        started = time.perf_counter()
        self._llama = Llama(model_path=str(model_path(model, cache_dir)), n_threads=threads, n_ctx=context, verbose=False)
        self.load_seconds = time.perf_counter() - started
        # free the model before interpreter shutdown tears down llama_cpp's module globals;
        # left to __del__, it prints a TypeError traceback on exit
        # (a weak reference, so a generator dropped earlier is still freed as usual)
        atexit.register(_close_if_alive, weakref.ref(self._llama))

    def close(self) -> None:
        """Free the model's memory now (also done at exit)."""
        self._llama.close()

    def _messages(self, prompt: ChatPrompt) -> list[dict]:
        return [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]

    def _kwargs(self, settings: SamplingSettings, seed: int) -> dict:
        kwargs = {
            "max_tokens": settings.max_new_tokens,
            "temperature": max(settings.temperature, 0.0),
            "top_p": settings.top_p,
            "seed": seed,
            "stop": list(settings.stop) or None,
        }
        if settings.json_schema is not None and self.constrain_json:
            kwargs["response_format"] = {"type": "json_object", "schema": settings.json_schema}
        return kwargs

    def generate(
        self, prompts: Sequence[ChatPrompt], settings: SamplingSettings, n: int = 1
    ) -> list[list[Generation]]:
        out = []
        for p_index, prompt in enumerate(prompts):
            samples = []
            for index in range(n):
                # a distinct, reproducible seed per sample: the same seed would give the same text
                result = self._llama.create_chat_completion(
                    self._messages(prompt), **self._kwargs(settings, settings.seed * 100003 + p_index * 101 + index)
                )
                choice = result["choices"][0]
                text, _ = cut_at_stop(choice["message"]["content"] or "", settings.stop)
                samples.append(Generation(text.strip(), result["usage"]["completion_tokens"], choice["finish_reason"] == "length"))
            out.append(samples)
        return out

    def stream(self, prompt: ChatPrompt, settings: SamplingSettings) -> Iterator[str]:
        for chunk in self._llama.create_chat_completion(self._messages(prompt), stream=True, **self._kwargs(settings, settings.seed)):
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield piece
