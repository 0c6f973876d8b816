"""A deterministic fake generator for tests of the plumbing: no model, instant, scripted."""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from contentgen.generate.base import ChatPrompt, Generation, SamplingSettings, cut_at_stop

Script = Callable[[ChatPrompt, int, SamplingSettings], str]


def _echo(prompt: ChatPrompt, index: int, settings: SamplingSettings) -> str:
    return prompt.user


class EchoGenerator:
    """Returns ``script(prompt, sample_index, settings)`` for each sample (the user message by default)."""

    def __init__(self, script: Script | None = None, name: str = "echo", batches: bool = True) -> None:
        self.name = name
        self.batches = batches  # False plays a one-sample-at-a-time backend such as llama.cpp
        self._script = script or _echo
        self._drawn: dict[ChatPrompt, int] = {}  # samples drawn per prompt so far, for the sample index
        self.calls: list[int] = []  # batch sizes seen, so tests can check batching

    def generate(
        self, prompts: Sequence[ChatPrompt], settings: SamplingSettings, n: int = 1
    ) -> list[list[Generation]]:
        self.calls.append(len(prompts) * n)
        out: list[list[Generation]] = []
        for prompt in prompts:
            samples = []
            # a batching backend restarts the index each call; a sequential one counts on across calls
            offset = 0 if self.batches else self._drawn.get(prompt, 0)
            self._drawn[prompt] = offset + n
            for index in range(offset, offset + n):
                text, _ = cut_at_stop(self._script(prompt, index, settings), settings.stop)
                words = text.split()
                truncated = len(words) > settings.max_new_tokens
                samples.append(Generation(" ".join(words[: settings.max_new_tokens]) if truncated else text, min(len(words), settings.max_new_tokens), truncated))
            out.append(samples)
        return out

    def stream(self, prompt: ChatPrompt, settings: SamplingSettings) -> Iterator[str]:
        text = self.generate([prompt], settings)[0][0].text
        for word in text.split(" "):
            yield word + " "
