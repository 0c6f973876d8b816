"""The transformers backend: a packaged GGUF model dequantized into torch, batched sampling on CPU."""

from __future__ import annotations

import json
import logging
from pathlib import Path
import threading
import time
from typing import Iterator, Sequence

from contentgen.generate.base import ChatPrompt, Generation, SamplingSettings, cut_at_stop
from contentgen.generate.models import model_path
from contentgen.generate.steering import STEER_BIAS, token_ids_to_avoid

logger = logging.getLogger(__name__)


class _TokenLogprobs:
    """A logits processor that records the log-probability of each sampled token under the model's
    own (unwarped) distribution: at step t+1 it reads token t from the ids and looks it up in step
    t's log-softmax, so only one step's distribution is held at a time."""

    def __init__(self) -> None:
        self.previous = None
        self.values: list = []

    def __call__(self, input_ids, scores):
        import torch

        if self.previous is not None:
            self.values.append(self.previous.gather(1, input_ids[:, -1:]).squeeze(1))
        self.previous = torch.log_softmax(scores.float(), dim=-1)
        return scores

    def finish(self, new_tokens):
        """(rows, steps) log-probabilities of ``new_tokens`` (None when nothing was generated)."""
        import torch

        if self.previous is not None and new_tokens.shape[1] > len(self.values):
            self.values.append(self.previous.gather(1, new_tokens[:, len(self.values) : len(self.values) + 1]).squeeze(1))
        self.previous = None
        return torch.stack(self.values, dim=1) if self.values else None


class _AvoidTokens:
    """A logits processor that pushes down the tokens of the words a sample should avoid."""

    def __init__(self, token_ids: list[int]) -> None:
        self.token_ids = token_ids

    def __call__(self, input_ids, scores):
        scores[:, self.token_ids] += STEER_BIAS
        return scores


def json_prefix(schema: dict | None) -> str:
    """The opening of the JSON object a schema asks for, written into the answer before sampling.

    This backend cannot constrain decoding to the schema (llama.cpp does, with a grammar). Asked for
    one key, the model answered greedily with a bare quoted sentence for every push and SMS prompt
    tried (8 of 8), and with the opening written for it, with the object (8 of 8). It starts the
    object and its first string key; the model writes the rest."""
    properties = (schema or {}).get("properties") or {}
    if not properties:
        return ""
    first, spec = next(iter(properties.items()))
    if not isinstance(spec, dict) or spec.get("type") != "string":
        return "{"
    return "{" + json.dumps(first) + ': "'


class TransformersGenerator:
    """Loads the model once; ``generate`` pads prompts on the left and samples them as one batch."""

    def __init__(
        self,
        model: str = "qwen2.5-coder-1.5b",
        dtype: str = "float32",
        batch_size: int = 16,
        threads: int | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        import torch  # heavy: imported only when a model is really loaded
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        self.name = f"transformers:{model}"
        self.batches = True
        self.model_name = model
        self.batch_size = batch_size
        path = model_path(model, cache_dir)
        started = time.perf_counter()
        # float32 keeps the GGUF weights packed (transformers 5.24); in our runs it decoded faster than
        # bfloat16 (SmolLM2, batch of 8: 3.8 vs 2.9 tok/s under heavy load; see bench/generate.py)
        torch_dtype = getattr(torch, dtype)
        self._tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        self._tokenizer.padding_side = "left"
        if self._tokenizer.pad_token is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch_dtype)
        self._model.eval()
        self.load_seconds = time.perf_counter() - started
        logger.info("loaded %s in %.1fs", self.name, self.load_seconds)

    def _chat_text(self, prompt: ChatPrompt) -> str:
        messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
        return self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def _sample_kwargs(self, settings: SamplingSettings) -> dict:
        kwargs: dict = {"max_new_tokens": settings.max_new_tokens, "pad_token_id": self._tokenizer.pad_token_id}
        if settings.greedy:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p, top_k=0)
        return kwargs

    def _steering(self, settings: SamplingSettings) -> list[_AvoidTokens]:
        if not settings.avoid_words:
            return []
        encode = lambda text: self._tokenizer.encode(text, add_special_tokens=False)
        decode = lambda token: self._tokenizer.decode([token])
        ids = sorted(token_ids_to_avoid(settings.avoid_words, encode, decode))
        return [_AvoidTokens(ids)] if ids else []

    def generate(
        self, prompts: Sequence[ChatPrompt], settings: SamplingSettings, n: int = 1
    ) -> list[list[Generation]]:
        import torch

        prefix = json_prefix(settings.json_schema)
        texts = [self._chat_text(p) + prefix for p in prompts for _ in range(n)]
        flat: list[Generation] = []
        # one seed per call makes the whole batch reproducible
        torch.manual_seed(settings.seed)
        eos = self._tokenizer.eos_token_id
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            encoded = self._tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False)
            recorder = _TokenLogprobs()
            # the recorder reads the model's own distribution first; the steering bias comes after it
            processors = [recorder, *self._steering(settings)]
            with torch.inference_mode():
                output = self._model.generate(**encoded, **self._sample_kwargs(settings), logits_processor=processors)
            new_tokens = output[:, encoded["input_ids"].shape[1] :]
            logprobs = recorder.finish(new_tokens)
            for r, row in enumerate(new_tokens):
                ids = row.tolist()
                ended = eos in ids or self._tokenizer.pad_token_id in ids
                count = next((i for i, t in enumerate(ids) if t in (eos, self._tokenizer.pad_token_id)), len(ids))
                text = self._tokenizer.decode(ids[:count], skip_special_tokens=True)
                text, stopped = cut_at_stop(text, settings.stop)
                mean = float(logprobs[r, :count].mean()) if count and logprobs is not None else None
                flat.append(Generation((prefix + text).strip(), count, truncated=not (ended or stopped), mean_logprob=mean))
        return [flat[i * n : (i + 1) * n] for i in range(len(prompts))]

    def stream(self, prompt: ChatPrompt, settings: SamplingSettings) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        torch.manual_seed(settings.seed)
        prefix = json_prefix(settings.json_schema)
        encoded = self._tokenizer([self._chat_text(prompt) + prefix], return_tensors="pt", add_special_tokens=False)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = dict(**encoded, **self._sample_kwargs(settings), streamer=streamer, logits_processor=self._steering(settings))
        worker = threading.Thread(target=self._model.generate, kwargs=kwargs, daemon=True)
        worker.start()
        if prefix:
            yield prefix
        seen = prefix
        for piece in streamer:
            seen += piece
            if settings.stop and cut_at_stop(seen, settings.stop)[1]:
                yield cut_at_stop(seen, settings.stop)[0][len(seen) - len(piece) :]
                break
            yield piece
        worker.join()
