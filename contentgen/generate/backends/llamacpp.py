"""The llama.cpp backend (optional extra ``llamacpp``): the same GGUF files, faster single-stream,
with JSON-schema constrained decoding. Samples are decoded one after another (no batching)."""

from __future__ import annotations

import atexit
import json
import logging
import os
from pathlib import Path
import sys
import time
import weakref
from typing import Iterator, Sequence

from contentgen.errors import ModelNotInstalled
from contentgen.generate.base import ChatPrompt, Generation, SamplingSettings, cut_at_stop
from contentgen.generate.models import model_path
from contentgen.generate.steering import STEER_BIAS, token_ids_to_avoid

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "the llama.cpp backend needs the optional extra: "
    "CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" pip install 'contentgen[llamacpp]' "
    "(builds from source in 3-5 minutes; the portable flag avoids a crash of the native build), "
    "or use --backend transformers"
)


# JSON forbids raw control characters inside strings (RFC 8259) and the Writer's parser refuses
# them, but llama-cpp-python's schema grammar lets them through: a sample that puts a raw newline
# in a string was decoded to the end and then thrown away. The grammar here forbids them, as
# llama.cpp's own json-schema-to-grammar does.
_LOOSE_CHAR = r'char ::= [^"\\]'
_STRICT_CHAR = r'char ::= [^"\\\x7F\x00-\x1F]'
# A string may not end in a space. Shown a product's name in quotes, the model opens a quote of its
# own ('Check out our "Hot Water ...') and that quote closes the JSON string: the post ends "Check out
# our" and is refused as truncated (blind draws 32 and 34: 18 of 187 English social posts). With the
# closing quote refused after a space, the model writes the name, or an escaped quote, instead.
_ANY_END_STRING = r'string ::= "\"" char* "\"" space'
_WORD_END_STRING = (r'string ::= "\"" (char* string-end)? "\"" space' "\n"
                    r'string-end ::= [^"\\\x7F\x00-\x1F ] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])')


def json_schema_grammar(schema: dict, word_end: bool = True):
    """The GBNF grammar for ``schema`` (llama-cpp-python's converter), strict about control characters
    and, with ``word_end``, about a string's last character (not a space)."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    gbnf = json_schema_to_gbnf(json.dumps(schema))
    if _LOOSE_CHAR not in gbnf or _ANY_END_STRING not in gbnf:
        logger.debug("llama-cpp-python's string rules changed; its grammar is used as it is")
    gbnf = gbnf.replace(_LOOSE_CHAR, _STRICT_CHAR)
    if word_end:
        gbnf = gbnf.replace(_ANY_END_STRING, _WORD_END_STRING)
    return LlamaGrammar.from_string(gbnf, verbose=False)


class _GrammarLastSampler:
    """Samples as llama.cpp's own tools do (common/sampling.cpp): draw a token without the grammar,
    ask the grammar about that one token, and only when it is refused apply the grammar to the whole
    vocabulary and draw again.

    llama-cpp-python instead applies the JSON grammar to every token of the vocabulary (151k for
    Qwen) at every step, which costs about 40% of the decoding speed here; inside a JSON string
    almost any likely token is allowed, so the one-token check nearly always suffices. The result is
    a draw from the same grammar-allowed tokens; bench/grammar_order.py compares speed and output.
    """

    def __init__(self, chain, model, grammar, n_vocab: int) -> None:
        import ctypes

        import llama_cpp
        from llama_cpp import _internals

        self._cpp = llama_cpp
        self._ctypes = ctypes
        self._free = llama_cpp.llama_sampler_free  # bound now: close() must not need module globals
        self.chain = chain  # the library's chain with no grammar in it
        self.grammar = llama_cpp.llama_sampler_init_grammar(
            model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        self._one_data = (llama_cpp.llama_token_data * 1)()
        self._one = llama_cpp.llama_token_data_array(data=self._one_data, size=1, selected=-1, sorted=False)
        self._all = _internals.LlamaTokenDataArray(n_vocab=n_vocab)
        self.n_vocab = n_vocab
        self.refused = 0  # draws the grammar refused (for bench/grammar_order.py)

    def _allowed(self, token: int) -> bool:
        self._one_data[0].id, self._one_data[0].logit, self._one_data[0].p = token, 0.0, 0.0
        self._one.size, self._one.selected, self._one.sorted = 1, -1, False
        self._cpp.llama_sampler_apply(self.grammar, self._ctypes.byref(self._one))
        return self._one_data[0].logit != float("-inf")

    def sample(self, ctx, idx: int = -1) -> int:
        import numpy as np

        token = self.chain.sample(ctx, idx)
        if not self._allowed(token):
            self.refused += 1
            logits = self._cpp.llama_get_logits_ith(ctx.ctx, idx)
            self._all.copy_logits(np.ctypeslib.as_array(logits, shape=(self.n_vocab,)))
            candidates = self._ctypes.byref(self._all.candidates)
            self._cpp.llama_sampler_apply(self.grammar, candidates)
            self._cpp.llama_sampler_apply(self.chain.sampler, candidates)
            token = int(self._all.candidates_data.id[self._all.candidates.selected])
        self._cpp.llama_sampler_accept(self.grammar, token)
        return token

    def close(self) -> None:
        grammar, self.grammar = self.grammar, None
        if grammar is not None:
            self._free(grammar)
        self.chain.close()

    # at interpreter shutdown module globals (the library's functions, ``sys``) may already be
    # None: the check is bound as a default argument, and freeing is left to the exiting process
    def __del__(self, _finalizing=sys.is_finalizing) -> None:
        if not _finalizing():
            self.close()


def _grammar_last(llama_class):
    """``llama_class`` sampling JSON-constrained text with ``_GrammarLastSampler``; every other
    case (no grammar, or ``grammar_last`` off) keeps the library's own sampler."""

    class Llama(llama_class):
        grammar_last = True

        def _init_sampler(self, **kwargs):
            grammar = kwargs.get("grammar")
            if grammar is None or not self.grammar_last:
                return super()._init_sampler(**kwargs)
            chain = super()._init_sampler(**{**kwargs, "grammar": None})
            return _GrammarLastSampler(chain, self._model, grammar, self._n_vocab)

        def close(self, _finalizing=sys.is_finalizing) -> None:
            # the last sampler holds llama.cpp objects: free it while the library is still loaded
            # (close runs at exit, and again from the library's __del__ at shutdown, when module
            # globals may be None: hence no global names here)
            sampler = getattr(self, "_sampler", None)
            if hasattr(sampler, "grammar") and not _finalizing():
                sampler.close()
            super().close()

    return Llama


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
        grammar_last: bool = True,
    ) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise ModelNotInstalled(INSTALL_HINT) from error
        self.name = f"llamacpp:{model}"
        self.batches = False
        # JSON-schema constrained decoding always parses (bench/generate.py measures with and without);
        # the grammar is asked about the drawn token first, which keeps its cost small (_GrammarLastSampler)
        self.constrain_json = constrain_json
        self._grammars: dict[str, object] = {}
        self._biases: dict[tuple[str, ...], dict[int, float]] = {}
        threads = threads or os.cpu_count() or 2
        self.model_name = model
        started = time.perf_counter()
        self._llama = _grammar_last(Llama)(model_path=str(model_path(model, cache_dir)), n_threads=threads, n_ctx=context, verbose=False)
        # False = the library's sampler (grammar over the whole vocabulary): bench/grammar_order.py compares
        self._llama.grammar_last = grammar_last
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
            key = json.dumps(settings.json_schema, sort_keys=True)
            if key not in self._grammars:  # parsed once per template; the sampler reads only its text
                self._grammars[key] = json_schema_grammar(settings.json_schema)
            kwargs["grammar"] = self._grammars[key]
        if settings.avoid_words:
            kwargs["logit_bias"] = self._bias(settings.avoid_words)
        return kwargs

    def _bias(self, words: tuple[str, ...]) -> dict[int, float]:
        """The logit bias that steers decoding away from ``words`` (one per brief's word list, cached)."""
        if words not in self._biases:
            if len(self._biases) > 256:  # briefs of many shops: keep the cache bounded
                self._biases.clear()
            encode = lambda text: self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            decode = lambda token: self._llama.detokenize([token]).decode("utf-8", errors="ignore")
            self._biases[words] = {t: STEER_BIAS for t in token_ids_to_avoid(words, encode, decode)}
        return self._biases[words]

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
