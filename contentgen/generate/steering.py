"""Steering decoding away from words the checks would refuse anyway.

The guardrails refuse a sample after it is written; at this model's size most refusals are a few
predictable claim words ("popular", "new", "save", "deals": see the ``steer`` lists of the rule
files). Pushing those words' tokens down while decoding is meant to spend fewer samples on copy that
cannot ship; in the one blind draw that compared the same seeds with and without it (bench/RESULTS.md,
draw 4) the difference was within noise. It is a bias, not a guarantee: a word can still appear
spelled by other tokens, which is why every sample is still checked.

Pure logic here; each backend maps the words to its own token ids with ``token_ids_to_avoid``.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

from contentgen.brief import Brief
from contentgen.policy import ShopPolicy
from contentgen.generate.rules import RuleSet, is_single_word

# a biased first token shorter than this is a fragment many unrelated words start with ("J" of
# "Jumbo"); only a whole-word token or a long enough piece of the word is pushed down
_MIN_PIECE = 4
# the bias added to a steered token's logit: large enough that it is never drawn while any
# ordinary token is allowed, finite so a grammar that allows only that token can still proceed
STEER_BIAS = -100.0


def words_to_avoid(brief: Brief, rules: RuleSet, policy: ShopPolicy | None = None,
                   template_words: Sequence[str] = ()) -> tuple[str, ...]:
    """The words decoding should avoid for ``brief``: the ``steer`` words of the rules in force, the
    template's own ``template_words`` and the single words of the shop's ``avoid_words``, less any
    word the brief's own products or offer use (a product named "New Baroque Candlestick" must stay
    writable)."""
    words = list(rules.steer_words(brief, policy)) + list(template_words)
    words += [w for w in brief.voice.avoid_words if is_single_word(w.strip())]
    own = " ".join([p.name for p in brief.products] + [brief.offer.description if brief.offer else ""]).lower()
    own_words = set(re.findall(r"[^\W\d_]+", own))
    return tuple(dict.fromkeys(w.strip() for w in words if w.strip().lower() not in own_words))


def common_words(lists: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """The words every list holds: what one batched call for several briefs may avoid."""
    lists = [tuple(words) for words in lists]
    if not lists:
        return ()
    shared = set(lists[0]).intersection(*lists[1:])
    return tuple(w for w in lists[0] if w in shared)


def spellings(word: str) -> list[str]:
    """How a word appears in copy, as a tokenizer sees it: lower, capitalized and upper case, at the
    start of a string (after a quote) or after a space."""
    forms = dict.fromkeys((word.lower(), word.capitalize(), word.upper()))
    return [prefix + form for form in forms for prefix in ("", " ")]


def token_ids_to_avoid(words: Iterable[str], encode: Callable[[str], list[int]],
                       decode: Callable[[int], str]) -> set[int]:
    """The token ids that start ``words`` in any of their spellings: a whole-word token, or a first
    piece of at least ``_MIN_PIECE`` characters of the word (never a short fragment, which would
    push down unrelated words that share it)."""
    ids: set[int] = set()
    for word in words:
        for spelling in spellings(word):
            tokens = encode(spelling)
            if not tokens:
                continue
            piece = decode(tokens[0]).strip()
            if len(tokens) == 1 or (len(piece) >= _MIN_PIECE and word.lower().startswith(piece.lower())):
                ids.add(tokens[0])
    return ids
