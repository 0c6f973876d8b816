"""What kind of thing a product is, read from the goods nouns of its name (``product_kinds.yaml``).

The claim rules ask it whether "gifts for the home" or "our range of home decor" can be said of the
products a message shows. A word of the name alone cannot tell ("Jumbo Bag Vintage Doily" is a bag,
not a doily; "Hanging Heart T-Light Holder" is a holder): a name's goods nouns decide, its motifs
(a heart, a star, a doily) count only when it has none, and places and themes ("Kitchen Metal
Sign", "Jumbo Bag 50's Christmas") add their kind to whatever the goods are. A name the lexicon
does not know is of no known kind: ``kinds_of`` returns an empty set, and a rule reading kinds
takes it as support (a check that cannot tell refuses nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
import re
from typing import Mapping

import yaml

from contentgen.errors import ConfigError

KINDS_FILE = Path(__file__).resolve().parent / "product_kinds.yaml"
_TIERS = ("nouns", "motifs", "places", "themes")


def _words(text: str) -> tuple[str, ...]:
    """Lower-case words of letters, apostrophes dropped ("Poppy's" -> "poppys", "P'weight" ->
    "pweight"); digits and punctuation split words ("20Light" -> "light")."""
    return tuple(re.findall(r"[a-z]+", text.lower().replace("'", "").replace("’", "")))


def word_forms(word: str) -> frozenset[str]:
    """A word with its plural ending taken off every way English does it ("cushions", "boxes",
    "scarves", "knives", "berries"): two words are the same when their forms meet, so a lexicon in the
    singular reads plural names."""
    forms = {word}
    if word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
        if word.endswith("es"):
            forms.add(word[:-2])
        if word.endswith("ies"):
            forms.add(word[:-3] + "y")
        if word.endswith("ves"):
            forms |= {word[:-3] + "f", word[:-3] + "fe"}
    return frozenset(forms)


@dataclass(frozen=True)
class ProductKinds:
    """The kind lexicon: each tier maps a phrase (as a tuple of words) to the kinds it gives."""

    kinds: Mapping[str, str]  # kind -> what it means
    nouns: Mapping[tuple[str, ...], frozenset[str]]
    motifs: Mapping[tuple[str, ...], frozenset[str]]
    places: Mapping[tuple[str, ...], frozenset[str]]
    themes: Mapping[tuple[str, ...], frozenset[str]]

    @classmethod
    def load(cls, path: str | Path = KINDS_FILE) -> "ProductKinds":
        """The lexicon in ``path`` (ConfigError naming the file, the entry and the fix)."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"{path}: cannot read the product kinds: {error}") from error
        if not isinstance(data, dict) or not isinstance(data.get("kinds"), dict) or not data["kinds"]:
            raise ConfigError(f"{path}: a product kinds file is a mapping with 'kinds' (kind: what it means) and {list(_TIERS)}")
        kinds = {str(k): str(v) for k, v in data["kinds"].items()}
        tiers = {}
        for tier in _TIERS:
            entries = data.get(tier) or {}
            if not isinstance(entries, dict):
                raise ConfigError(f"{path}: '{tier}' must map a phrase to a list of kinds")
            table = {}
            for phrase, given in entries.items():
                words = _words(str(phrase))
                if not words:
                    raise ConfigError(f"{path}: {tier} entry {phrase!r} has no words")
                if not isinstance(given, list) or not given or set(map(str, given)) - set(kinds):
                    raise ConfigError(f"{path}: {tier} entry {phrase!r} must list some of the kinds {sorted(kinds)}; got {given!r}")
                table[words] = frozenset(map(str, given))
            tiers[tier] = table
        return cls(kinds, **tiers)

    def kinds_of(self, name: str, category: str = "") -> frozenset[str]:
        """The kinds of a product (empty: no known kind). The shop's category is read when the name
        holds no goods noun or motif."""
        found = self._read(name)
        if not found and category:
            found = self._read(category)
        return found

    def _read(self, text: str) -> frozenset[str]:
        words = [word_forms(w) for w in _words(text)]
        nouns = self._matches(words, {**self.motifs, **self.nouns})
        goods = [kinds for phrase, kinds in nouns if phrase in self.nouns]
        motifs = [kinds for phrase, kinds in nouns if phrase not in self.nouns]
        found: set[str] = set().union(*(goods or motifs))
        if not found:
            return frozenset()
        for table in (self.places, self.themes):
            for _, kinds in self._matches(words, table):
                found |= kinds
        return frozenset(found)

    @staticmethod
    def _matches(words: list[frozenset[str]], table: Mapping[tuple[str, ...], frozenset[str]]) -> list[tuple[tuple[str, ...], frozenset[str]]]:
        """The phrases of ``table`` in ``words``, longest first, each word taken once ("hot water
        bottle" takes "bottle"; "cup of tea" takes "cup")."""
        taken = [False] * len(words)
        out = []
        for phrase in sorted(table, key=len, reverse=True):
            n = len(phrase)
            for i in range(len(words) - n + 1):
                if not any(taken[i:i + n]) and all(phrase[j] in words[i + j] for j in range(n)):
                    taken[i:i + n] = [True] * n
                    out.append((phrase, table[phrase]))
        return out


@lru_cache(maxsize=1)
def default_kinds() -> ProductKinds:
    """The packaged lexicon, loaded once per process."""
    return ProductKinds.load()


@lru_cache(maxsize=4096)
def kinds_of(name: str, category: str = "") -> frozenset[str]:
    """The kinds of one product by the packaged lexicon (empty: no known kind)."""
    return default_kinds().kinds_of(name, category)


def supports(name: str, category: str, wanted: frozenset[str] | tuple[str, ...]) -> bool:
    """Whether the product is of one of the ``wanted`` kinds, or of no known kind (a check that
    cannot tell what a product is refuses nothing on its account)."""
    found = kinds_of(name, category)
    return not found or bool(found & set(wanted))


# What a product is, in a shopper's words, by its most telling kind: a prompt may say "kitchenware" of a
# cake stand without naming it ("home" says least, so it comes last; a lunch bag is a bag before it is
# kitchenware: draw 92's readers refused "kitchenware" of lunch bags, and "personal accessories" of plasters)
_KIND_WORDS: tuple[tuple[str, str], ...] = (
    ("furniture", "furniture"), ("lights", "lights"), ("bag", "bags"), ("kitchen", "kitchenware"),
    ("toys", "toys and games"), ("stationery", "stationery"), ("decor", "decorations"), ("craft", "craft supplies"),
    ("garden", "garden goods"), ("party", "party goods"), ("fashion", "accessories"),
    ("personal", "personal items"), ("travel", "travel goods"), ("home", "homeware"),
)


def kind_words(name: str, category: str = "") -> str:
    """What the product is in a word or two ("kitchenware", "Christmas decorations"); "" when its
    kind is not known."""
    found = kinds_of(name, category)
    words = next((w for kind, w in _KIND_WORDS if kind in found), "")
    return f"Christmas {words}" if words and "christmas" in found else words
