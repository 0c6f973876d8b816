"""The shop's approved-copy library: copy a person approved, kept as few-shot examples for the prompt.

A JSON-lines file in the project (one approved message a line: channel, language, the situation and
theme it was written for, the model-written parts, where it came from), read after any seed files
(read only: examples a shop starts from; approvals go to the project's own file, never to a seed).
``nearest`` picks the examples written for the most similar situation and theme, by the packaged
sentence embedding model (all-MiniLM-L6-v2 through ``contentgen.retrieval``); tests pass the hash embedder. The demo shop ships
a seed library written by the contentgen team (each line says so); it grows from the workspace's
approve button (``add``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from contentgen.brief import Brief
from contentgen.errors import ConfigError

logger = logging.getLogger(__name__)

SEED_LIBRARY = Path(__file__).resolve().parents[1] / "data" / "demo" / "approved_copy.jsonl"
APPROVED = "approved in the workspace"
# who an example was written for: one shopper and their products, or a list campaign's cohort, whose one
# line goes above every member's own products and so fits any products (contentgen/campaign; a prompt
# template whose line must fit any product asks for these: ``examples: cohort`` in its front matter)
AUDIENCES = ("shopper", "cohort")


@dataclass(frozen=True)
class Exemplar:
    """One approved message: what it was written for and the parts the model wrote."""

    channel: str
    language: str
    situation: str
    theme: str  # the shopper's interests and the products it was about, in words
    creative: tuple[tuple[str, str], ...]
    source: str = APPROVED  # who wrote or approved it ("seed: written by the contentgen team ...")
    added: str = ""  # ISO time it was added
    audience: str = "shopper"  # one of AUDIENCES; a line without it was written for a shopper

    def key_text(self) -> str:
        return situation_theme_text(self.situation, self.theme)

    def to_json(self) -> str:
        data = asdict(self)
        data["creative"] = dict(self.creative)
        return json.dumps(data, ensure_ascii=False)


def situation_theme_text(situation: str, theme: str) -> str:
    """The text whose embedding stands for a message's situation and theme."""
    return f"{situation.strip()} Theme: {theme.strip()}"


def brief_theme(brief: Brief) -> str:
    """A brief's theme in words: the shopper's interests, then the products' names."""
    return "; ".join([*brief.interests, *(p.name for p in brief.products)])


class ApprovedCopyLibrary:
    """Approved copy in a JSON-lines file (after read-only ``seeds``); ``add`` appends to ``path``,
    ``nearest`` finds few-shot examples. ``path`` None: seeds only, nothing can be added."""

    def __init__(self, path: str | Path | None, embedder=None, seeds: Sequence[str | Path] = ()) -> None:
        self.path = Path(path) if path is not None else None
        self.seeds = tuple(Path(seed) for seed in seeds)
        self._embedder = embedder
        self._exemplars: list[Exemplar] | None = None
        self._vectors: np.ndarray | None = None

    # -- reading -----------------------------------------------------------------------------

    @property
    def exemplars(self) -> list[Exemplar]:
        if self._exemplars is None:
            self._exemplars = self._read()
        return self._exemplars

    def __len__(self) -> int:
        return len(self.exemplars)

    def _read(self) -> list[Exemplar]:
        out = []
        for path in (*self.seeds, *([self.path] if self.path is not None else [])):
            if path in self.seeds and not path.exists():
                raise ConfigError(f"the seed approved-copy file {path} does not exist; fix [exemplars] seed in the project file")
            out += self._read_file(path) if path.exists() else []
        return out

    @staticmethod
    def _read_file(path: Path) -> list[Exemplar]:
        out = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                creative = data.pop("creative")
                if not isinstance(creative, dict) or not all(isinstance(v, str) for v in creative.values()):
                    raise ValueError("'creative' must map part names to text")
                exemplar = Exemplar(creative=tuple(creative.items()), **data)
                if exemplar.audience not in AUDIENCES:
                    raise ValueError(f"'audience' must be one of {', '.join(AUDIENCES)}, not {exemplar.audience!r}")
                out.append(exemplar)
            except (ValueError, TypeError, KeyError) as error:
                raise ConfigError(f"{path}: line {number} is not an approved-copy record ({error}); "
                                  "fix or delete the line (each line: channel, language, situation, theme, creative)") from error
        return out

    # -- writing -----------------------------------------------------------------------------

    def add(self, copy, brief: Brief, source: str = APPROVED, audience: str = "shopper") -> Exemplar:
        """Append an approved ``copy`` (a Writer ``Copy``, or a mapping of creative parts) written
        for ``brief`` (``audience`` "cohort": a line that fits any products). Only the model-written
        parts and the brief's situation and theme are kept: no name, id or merge field of the shopper."""
        _check_audience(audience)
        if self.path is None:
            raise ConfigError("this library has seed examples only; name the shop's own approved-copy file "
                              "([exemplars] approved in the project file) to keep approvals")
        creative = dict(copy.creative) if hasattr(copy, "creative") else dict(copy)
        if not creative or not all(isinstance(v, str) and v.strip() for v in creative.values()):
            raise ConfigError("approved copy needs its creative parts (part name -> text), none empty")
        first_name = brief.first_name.strip()
        if first_name:  # the approved text is a pattern for other shoppers: their own name is not
            creative = {k: v.replace(first_name, "").replace("  ", " ").strip() for k, v in creative.items()}
        exemplar = Exemplar(brief.channel, brief.language, brief.situation, brief_theme(brief), tuple(creative.items()),
                            source, datetime.now(timezone.utc).isoformat(timespec="seconds"), audience)
        known = self.exemplars  # read the file before appending to it
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:  # append: nothing earlier is lost on a crash
            handle.write(exemplar.to_json() + "\n")
        known.append(exemplar)
        self._vectors = None
        return exemplar

    # -- choosing ----------------------------------------------------------------------------

    @property
    def embedder(self):
        if self._embedder is None:
            from contentgen.retrieval.embedders import shared_embedder

            self._embedder = shared_embedder()
        return self._embedder

    def _all_vectors(self) -> np.ndarray:
        if self._vectors is None or len(self._vectors) != len(self.exemplars):
            self._vectors = self.embedder.encode([e.key_text() for e in self.exemplars]) if self.exemplars else np.zeros((0, 1))
        return self._vectors

    def nearest(self, brief: Brief, k: int = 2, audience: str = "shopper") -> list[Exemplar]:
        """The ``k`` examples for the brief's channel and language, written for ``audience`` (a prompt
        template says which: ``PromptTemplate.examples``), for the most similar situation and theme
        (cosine similarity of their embeddings), most similar first."""
        _check_audience(audience)
        same = [i for i, e in enumerate(self.exemplars)
                if e.channel == brief.channel and e.language == brief.language and e.audience == audience]
        if not same or k <= 0:
            return []
        vectors = self._all_vectors()[same]
        query = self.embedder.encode([situation_theme_text(brief.situation, brief_theme(brief))])[0]
        scores = vectors @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return [self.exemplars[same[i]] for i in order]


def _check_audience(audience: str) -> None:
    if audience not in AUDIENCES:
        raise ConfigError(f"approved examples are written for one of {', '.join(AUDIENCES)}, not {audience!r}")


def few_shot_block(exemplars: Sequence[Exemplar], language: str = "en", parts: Sequence[str] | None = None) -> str:
    """The examples as a prompt paragraph: situation, then the approved JSON answer.

    ``parts``: the parts the template asks the model for; an example shows only those (a push template
    whose title is the product's name asks for the hook alone, and an example's title would teach the
    model a key it must not write). An example with none of them is left out."""
    if parts is not None:
        wanted = set(parts)
        exemplars = [replace(e, creative=tuple((k, v) for k, v in e.creative if k in wanted)) for e in exemplars]
        exemplars = [e for e in exemplars if e.creative]
    if not exemplars:
        return ""
    if language == "zh":
        head = "本店已批准的文案示例（学习语气和写法，不要照抄，不要提到示例里的商品）："
    else:
        head = "Approved copy from this shop for similar shoppers (follow the style; never copy it or name its products):"
    lines = [head]
    for e in exemplars:
        lines.append(f"- For: {e.situation}\n  Answer: {json.dumps(dict(e.creative), ensure_ascii=False)}")
    return "\n".join(lines)
