"""The Generator protocol: chat prompts in, sampled texts out. Backends live in ``backends/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class ChatPrompt:
    """One prompt as a system instruction and a user message."""

    system: str
    user: str


@dataclass(frozen=True)
class SamplingSettings:
    """How to sample. ``seed`` makes a batch reproducible on the same backend and machine."""

    max_new_tokens: int = 96
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int = 0
    stop: tuple[str, ...] = ()
    json_schema: dict | None = None  # used by backends that can constrain decoding; others ignore it
    # words the sample should not contain: backends that can bias decoding push their tokens down
    # (generate/steering.py); others ignore it. The guardrails still check every sample.
    avoid_words: tuple[str, ...] = ()

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


@dataclass(frozen=True)
class Generation:
    """One sampled text. ``truncated`` is True when it stopped at ``max_new_tokens``."""

    text: str
    new_tokens: int
    truncated: bool
    # mean log-probability of the sampled tokens under the model, for the quality score's fluency;
    # None where a backend cannot report it (llama.cpp without logits for every token, echo)
    mean_logprob: float | None = None


@runtime_checkable
class Generator(Protocol):
    """A loaded text generator, created once per process and reused."""

    name: str  # "<backend>:<model>"
    # True when n samples of many prompts in one call cost little more than one (a padded batch);
    # False when samples are decoded one after another, so the Writer asks for them one at a time
    # and stops as soon as enough have passed the checks.
    batches: bool

    def generate(
        self, prompts: Sequence[ChatPrompt], settings: SamplingSettings, n: int = 1
    ) -> list[list[Generation]]:
        """``n`` samples for each prompt, in one batch where the backend can batch."""
        ...

    def stream(self, prompt: ChatPrompt, settings: SamplingSettings) -> Iterator[str]:
        """The text of one sample, piece by piece as it is decoded."""
        ...


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the first stop string, and whether one was found."""
    cut = len(text)
    for marker in stop:
        if marker and (position := text.find(marker)) != -1:
            cut = min(cut, position)
    return text[:cut], cut < len(text)
