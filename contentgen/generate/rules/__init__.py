"""Claim and voice rules as data: one engine over per-language rule files (``en.yaml``, ``zh.yaml``).

A rule names a family (the check it reports under, e.g. ``facts.freshness``), a lexicon of phrases
or a regular expression, the text it reads (the message minus its merge fields, or the model's own
words minus product names), when it applies (channels), what supports the claim so that it passes
(an offer of some kind, a fact of the shop's policy, a recommended product's catalog facts, the
shopper's segment, the month the message goes out), and examples that must fail and pass: the tests
run every rule's examples.

``unless: {kind: [...]}`` and ``unless: {every_kind: [...]}`` read what kind of thing each product
the message shows is (``generate/product_kinds.py``): some shown product, or every one, is of one of
the kinds ("home decor" over a lunch bag and a sewing kit fails ``every_kind: [decor]``). A product
of no known kind supports the claim: the check cannot tell what it is. ``only_if: {kind: [...]}`` puts
a rule in force only where some shown product is of one of the kinds ("the season" said out of season
of Christmas goods). ``unless: {named_by_offer:
true}`` passes a match whose words (less "special", "offer" and the like) are in the brief's offer
wording: "our Christmas offer" beside "20% off Christmas decorations". ``unless: {in_a_list:
true}`` passes a match that is one item of a list of ranges ("gifts and home decor", "home decor,
party supplies, and gifts"): the shop saying what it sells, not what each product shown is.

``unless: {months: ...}`` is for claims only the date can support: a list of month numbers for a
day everyone shares (Christmas: ``[9, 10, 11, 12]``), or ``{north: [...], south: [...]}`` for a
season of the year, read with the policy's ``hemisphere``. ``until: "MM-DD"`` beside such a list ends
it on the holiday's own day (Valentine's Day: ``months: [1, 2], until: "02-14"``). A rule with months is
in force only when the brief has a send date outside them; with no send date, or for a season when the shop has not
said its hemisphere, it is not in force (the check cannot tell, so it refuses nothing).

A shop adds or overrides rules by passing more files; the packaged ones are the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
import re
from typing import Any, Iterable, Mapping, Sequence

import yaml

from contentgen.brief import CHANNELS, LANGUAGES, Brief
from contentgen.errors import ConfigError
from contentgen.generate.product_kinds import default_kinds, supports as kind_supports, word_forms
from contentgen.policy import ShopPolicy

RULES_DIR = Path(__file__).resolve().parent
SCOPES = ("message", "creative")  # the message minus merge fields / the model's words minus product names
# what a shop's policy can support; each maps to a test on ShopPolicy (and the brief's products)
POLICY_FACTS = ("free_shipping", "stores", "pickup", "handmade", "delivery_times")
_RULE_KEYS = {"id", "family", "lexicon", "pattern", "scope", "reason", "channels", "except_channels", "unless", "fail", "pass",
              "steer", "only_if"}
_ONLY_IF_REGEX_KEYS = ("product", "every_product")  # regexes over each product's name and category
_ONLY_IF_KEYS = {*_ONLY_IF_REGEX_KEYS, "kind"}
_UNLESS_KEYS = {"offer", "policy", "product", "segment", "months", "until", "named_by_product", "named_by_offer", "kind",
                "every_kind", "in_a_list"}
HEMISPHERES = ("north", "south")  # the keys of a season's ``unless.months`` mapping


@dataclass(frozen=True)
class Rule:
    """One claim or voice rule. It fires on a match unless one of its ``unless_*`` supports holds."""

    id: str
    family: str
    languages: tuple[str, ...]
    regex: re.Pattern
    scope: str
    reason: str = ""
    channels: tuple[str, ...] = ()  # only in these channels (empty: all)
    except_channels: tuple[str, ...] = ()
    unless_offer: tuple[str, ...] = ()  # "any" or offer kinds whose presence supports the claim
    unless_policy: tuple[str, ...] = ()  # POLICY_FACTS the shop's policy may state
    unless_product: re.Pattern | None = None  # a recommended product's name or category says so
    # the matched words themselves are in a recommended product's name or category ("a blanket" when
    # the message holds a "Knitted Blanket Grey"): one rule for a whole lexicon of kinds of product
    unless_named_by_product: bool = False
    # the matched words, less the words of any offer ("special", "offer", "for", "this"), are in the
    # brief's offer wording: "our Christmas offer" when the offer is "20% off Christmas decorations"
    unless_named_by_offer: bool = False
    # the match is one item of a list of ranges: "gifts and home decor", "home decor, party supplies"
    unless_in_a_list: bool = False
    # the rule is in force only when a recommended product's name or category matches: a claim that
    # contradicts what the product is ("keeps you cool" of a hot water bottle)
    only_if_product: re.Pattern | None = None
    # ... only when every recommended product's name or category matches: a claim that holds of any other
    # product but not of these ("our special Christmas gift" of a birthday card)
    only_if_every_product: re.Pattern | None = None
    # ... only when some shown product is of one of these kinds (product_kinds.yaml): "a gift for the
    # season" said in April of a Christmas decoration
    only_if_kind: tuple[str, ...] = ()
    # what kind of thing the shown products are (product_kinds.yaml): some of them is one of these
    # kinds, or every one of them is ("gifts for the home" over a lunch bag is not)
    unless_kind: tuple[str, ...] = ()
    unless_every_kind: tuple[str, ...] = ()
    unless_segment: tuple[str, ...] = ()
    # the send months that support the claim: the same everywhere (a holiday), or per hemisphere
    # (a season: ("north", (3, 4, 5)), ("south", (9, 10, 11))); a rule with either is out of force
    # when the brief has no send date
    unless_months: tuple[int, ...] = ()
    unless_season: tuple[tuple[str, tuple[int, ...]], ...] = ()
    # the holiday's own day (month, day): within ``unless_months`` a send date after it supports the
    # claim no more ("for Valentine's Day" on 15 February)
    unless_until: tuple[int, int] | None = None
    fail_examples: tuple[Any, ...] = ()
    pass_examples: tuple[Any, ...] = ()
    source: str = ""  # file the rule came from, for error messages
    # single words the generator is steered away from while the rule is in force: words that in
    # marketing copy nearly always make the rule's claim ("popular", "sale"); the check still runs
    steer: tuple[str, ...] = ()

    def applies(self, brief: Brief, policy: ShopPolicy, about: Sequence[Any] = ()) -> bool:
        """True when the rule is in force for this brief (its claim is not supported). ``about``: the
        products the claim is said of, where the copy names some (``every_kind`` reads them; else
        every product of the brief)."""
        if self.channels and brief.channel not in self.channels:
            return False
        if brief.channel in self.except_channels:
            return False
        kind = brief.offer.kind if brief.offer is not None else "none"
        if kind != "none" and ("any" in self.unless_offer or kind in self.unless_offer):
            return False
        if any(policy_supports(fact, policy, brief) for fact in self.unless_policy):
            return False
        if self.unless_product is not None and any(self.unless_product.search(_catalog_text(p)) for p in brief.products):
            return False
        if self.only_if_product is not None and not any(self.only_if_product.search(_catalog_text(p)) for p in brief.products):
            return False
        every = self.only_if_every_product
        if every is not None and not all(every.search(_catalog_text(p)) for p in brief.products):
            return False
        if self.only_if_kind and not any(kind_supports(p.name, p.category, self.only_if_kind) for p in brief.products):
            return False
        if self.unless_kind and any(kind_supports(p.name, p.category, self.unless_kind) for p in brief.products):
            return False
        if self.unless_every_kind and all(kind_supports(p.name, p.category, self.unless_every_kind) for p in (about or brief.products)):
            return False
        if brief.segment and brief.segment in self.unless_segment:
            return False
        if (self.unless_months or self.unless_season) and self._month_supports(brief, policy):
            return False
        return True

    def _month_supports(self, brief: Brief, policy: ShopPolicy) -> bool:
        """Whether the send month supports the claim; True when it cannot be told (no send date, or a
        season and a shop that has not said its hemisphere): a check that cannot tell refuses nothing."""
        month = brief.send_month
        if month is None:
            return True
        if self.unless_months and month in self.unless_months:
            # only the holiday's own month is cut short, so months that wrap the year ([12, 1]) read as well
            return (self.unless_until is None or month != self.unless_until[0]
                    or date.fromisoformat(brief.send_date).day <= self.unless_until[1])
        if self.unless_season:
            months = dict(self.unless_season).get(policy.hemisphere)
            return months is None or month in months
        return False


def _catalog_text(product) -> str:
    return f"{product.name} | {product.category}"


def _named_by(match: str, products: Iterable[Any]) -> bool:
    """Whether every word of ``match`` is a word of a recommended product's name or category, or the
    match is one of them written as one word ("nightlight" for a "Rabbit Night Light")."""
    texts = [_catalog_text(p).lower() for p in products]
    named = {f for text in texts for w in re.findall(r"[^\W\d_]+", text) for f in word_forms(w)}
    words = re.findall(r"[^\W\d_]+", match.lower())
    if all(word_forms(w) & named for w in words):
        return True
    joined = ["".join(re.findall(r"[^\W\d_]+", text)) for text in texts]
    return any(form in text for w in words for form in word_forms(w) for text in joined if len(form) >= 6)


# what any offer is called, and the small words around it: not what the offer is for
_OFFER_WORDS = frozenset("special exclusive great offer offers deal deals discount discounts saving savings for on in "
                         "this these our the all every s".split())


def _named_by_offer(match: str, brief: Brief) -> bool:
    """Whether every word of ``match`` that says what an offer is for ("christmas" in "our Christmas
    offer") is in the brief's offer wording; False without an offer."""
    if brief.offer is None or not brief.offer.description:
        return False
    said = {f for w in re.findall(r"[^\W\d_]+", brief.offer.description.lower()) for f in word_forms(w)}
    words = [w for w in re.findall(r"[^\W\d_]+", match.lower()) if w not in _OFFER_WORDS]
    return bool(words) and all(word_forms(w) & said for w in words)


# a list of ranges: the item before ends in "and", "&", "," or "or"; or the next item follows one of
# them and starts with a content word ("home decor and gifts", not "home decor and perfect for you")
_LIST_BEFORE = re.compile(r"(?:\band|&|,|\bor) $", re.I)
_LIST_AFTER = re.compile(r"\s*(?:,|&|\band\b|\bor\b)\s*(?!(?:perfect|ideal|great|just|all|so|which|that|for|to|with|in|this|"
                         r"these|they|it|we|you|our|shop|check|discover|explore|get|find|now|and)\b)[a-z]", re.I)


def _in_a_list(text: str, match: re.Match) -> bool:
    """Whether ``match`` is one item of a list of ranges in ``text``."""
    return bool(_LIST_BEFORE.search(text, 0, match.start()) or _LIST_AFTER.match(text, match.end()))


def policy_supports(fact: str, policy: ShopPolicy, brief: Brief) -> bool:
    """Whether the shop's policy states ``fact`` (for the handmade lines: of a product in the brief)."""
    if fact == "free_shipping":
        return policy.free_shipping_threshold is not None
    if fact == "stores":
        return policy.stores
    if fact == "pickup":
        return policy.pickup or policy.stores
    if fact == "delivery_times":
        return bool(policy.delivery_times.strip())
    if fact == "handmade":
        lines = [w.lower() for w in policy.handmade_lines if w.strip()]
        return any(line in p.name.lower() for line in lines for p in brief.products)
    raise ConfigError(f"unknown policy fact {fact!r}; choose one of {POLICY_FACTS}")


@dataclass(frozen=True)
class Finding:
    rule: Rule
    match: str


@dataclass(frozen=True)
class RuleSet:
    """The rules of one or more files, with the families in the order the files name them."""

    rules: tuple[Rule, ...]
    families: tuple[str, ...] = field(default=())

    @classmethod
    def load(cls, paths: Iterable[str | Path] | None = None) -> "RuleSet":
        """Rules from ``paths`` (default: the packaged ``*.yaml`` files next to this module)."""
        paths = sorted(RULES_DIR.glob("*.yaml")) if paths is None else [Path(p) for p in paths]
        rules: list[Rule] = []
        for path in paths:
            rules += load_rule_file(path)
        seen: dict[str, str] = {}
        for rule in rules:
            if rule.id in seen:
                raise ConfigError(f"{rule.source}: rule id {rule.id!r} is already used in {seen[rule.id]}; give it another id")
            seen[rule.id] = rule.source
        scopes: dict[str, Rule] = {}
        for rule in rules:
            first = scopes.setdefault(rule.family, rule)
            if first.scope != rule.scope:
                raise ConfigError(f"{rule.source}: rule {rule.id!r} reads the {rule.scope} text but family {rule.family!r} "
                                  f"reads the {first.scope} text (rule {first.id!r}); one family reads one text")
        families = tuple(dict.fromkeys(r.family for r in rules))
        return cls(tuple(rules), families)

    def for_language(self, language: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if language in r.languages)

    def families_for(self, language: str, scope: str | None = None) -> tuple[str, ...]:
        """The families whose rules read ``language`` copy (of one scope), in file order."""
        return tuple(dict.fromkeys(r.family for r in self.for_language(language) if scope is None or r.scope == scope))

    def pattern(self, family: str, language: str) -> re.Pattern | None:
        """All of a family's expressions as one (e.g. the returning-shopper greetings for the repetition check)."""
        parts = [r.regex.pattern for r in self.for_language(language) if r.family == family]
        return re.compile("|".join(f"(?:{p})" for p in parts), re.I) if parts else None

    def steer_words(self, brief: Brief, policy: ShopPolicy | None = None) -> tuple[str, ...]:
        """The ``steer`` words of every rule in force for ``brief``, for decoding to avoid."""
        policy = policy or ShopPolicy()
        words = (w for r in self.for_language(brief.language) if r.steer and r.applies(brief, policy) for w in r.steer)
        return tuple(dict.fromkeys(words))

    def findings(self, texts: Mapping[str, str], brief: Brief, policy: ShopPolicy | None = None,
                 about: Sequence[Any] = ()) -> list[Finding]:
        """Every rule in force that matches its scope's text (``texts`` maps scope -> text); ``about``
        as in ``Rule.applies``."""
        policy = policy or ShopPolicy()
        out = []
        for rule in self.for_language(brief.language):
            text = texts.get(rule.scope, "")
            if not text or not rule.applies(brief, policy, about):
                continue
            matches = [m for m in rule.regex.finditer(text) if m.group(0).strip()]
            if rule.unless_in_a_list:
                matches = [m for m in matches if not _in_a_list(text, m)]
            matches = [m.group(0) for m in matches]
            if rule.unless_named_by_product:
                matches = [m for m in matches if not _named_by(m, brief.products)]
            if rule.unless_named_by_offer:
                matches = [m for m in matches if not _named_by_offer(m, brief)]
            out += [Finding(rule, m) for m in matches]
        return out


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packaged rules, loaded once per process."""
    return RuleSet.load()


def load_rule_file(path: str | Path) -> list[Rule]:
    """Parse and validate one rule file (ConfigError naming the file, the rule and the fix)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot read the rule file: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigError(f"{path}: a rule file is a mapping with 'languages' and a list of 'rules'")
    languages = tuple(data.get("languages") or ())
    bad = [lang for lang in languages if lang not in LANGUAGES]
    if not languages or bad:
        raise ConfigError(f"{path}: 'languages' must list some of {LANGUAGES}; got {list(languages)}")
    return [_rule(path, languages, i, entry) for i, entry in enumerate(data["rules"])]


def _rule(path: Path, languages: tuple[str, ...], index: int, entry: Any) -> Rule:
    where = f"{path}: rule {index + 1}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a mapping with id, family, lexicon or pattern")
    where = f"{path}: rule {entry.get('id', index + 1)!r}"
    unknown = set(entry) - _RULE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}")
    for key in ("id", "family"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigError(f"{where}: needs {key!r} (a string)")
    if ("lexicon" in entry) == ("pattern" in entry):
        raise ConfigError(f"{where}: give exactly one of 'lexicon' (phrases) or 'pattern' (a regular expression)")
    if "lexicon" in entry:
        words = entry["lexicon"]
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ConfigError(f"{where}: 'lexicon' must be a non-empty list of phrases")
        source = "|".join(_phrase(w) for w in sorted(words, key=len, reverse=True))
    else:
        source = entry["pattern"]
    try:
        regex = re.compile(source, re.I)
    except re.error as error:
        raise ConfigError(f"{where}: pattern is not a valid regular expression: {error}") from error
    family = entry["family"]
    scope = entry.get("scope") or ("message" if family.startswith("facts.") else "creative")
    if scope not in SCOPES:
        raise ConfigError(f"{where}: scope {scope!r} is not one of {SCOPES}")
    unless = entry.get("unless") or {}
    if not isinstance(unless, dict) or set(unless) - _UNLESS_KEYS:
        raise ConfigError(f"{where}: 'unless' takes {sorted(_UNLESS_KEYS)}; got {unless!r}")
    policy = _strings(where, "unless.policy", unless.get("policy"))
    bad_policy = set(policy) - set(POLICY_FACTS)
    if bad_policy:
        raise ConfigError(f"{where}: unless.policy {sorted(bad_policy)} is not one of {POLICY_FACTS}")
    channels = _strings(where, "channels", entry.get("channels"))
    except_channels = _strings(where, "except_channels", entry.get("except_channels"))
    bad_channels = set(channels + except_channels) - set(CHANNELS)
    if bad_channels:
        raise ConfigError(f"{where}: channels {sorted(bad_channels)} are not among {CHANNELS}")
    months, season = _months(where, unless.get("months"))
    until = _until(where, unless.get("until"), months)
    product = unless.get("product")
    try:
        product_regex = re.compile(product, re.I) if product else None
    except re.error as error:
        raise ConfigError(f"{where}: unless.product is not a valid regular expression: {error}") from error
    only_if = entry.get("only_if") or {}
    if not isinstance(only_if, dict) or set(only_if) - _ONLY_IF_KEYS:
        raise ConfigError(f"{where}: 'only_if' takes {sorted(_ONLY_IF_KEYS)}; got {only_if!r}")
    only_if_regex = {}
    for key in _ONLY_IF_REGEX_KEYS:
        try:
            only_if_regex[key] = re.compile(only_if[key], re.I) if only_if.get(key) else None
        except re.error as error:
            raise ConfigError(f"{where}: only_if.{key} is not a valid regular expression: {error}") from error
    kinds = {key: _strings(where, f"unless.{key}", unless.get(key)) for key in ("kind", "every_kind")}
    only_if_kind = _strings(where, "only_if.kind", only_if.get("kind"))
    unknown_kinds = set(kinds["kind"] + kinds["every_kind"] + only_if_kind) - set(default_kinds().kinds)
    if unknown_kinds:
        raise ConfigError(f"{where}: kinds {sorted(unknown_kinds)} are not among the product kinds "
                          f"{sorted(default_kinds().kinds)} (generate/product_kinds.yaml)")
    steer = _strings(where, "steer", entry.get("steer"))
    if not all(is_single_word(w) for w in steer):
        raise ConfigError(f"{where}: 'steer' lists single words (letters only); got {list(steer)}")
    fail, passing = tuple(entry.get("fail") or ()), tuple(entry.get("pass") or ())
    if not fail:
        raise ConfigError(f"{where}: give at least one 'fail' example (text the rule must catch)")
    return Rule(
        id=entry["id"], family=family, languages=languages, regex=regex, scope=scope, reason=str(entry.get("reason", "")),
        channels=channels, except_channels=except_channels, unless_offer=_strings(where, "unless.offer", unless.get("offer")),
        unless_policy=policy, unless_product=product_regex, unless_segment=_strings(where, "unless.segment", unless.get("segment")),
        fail_examples=fail, pass_examples=passing, source=str(path), steer=steer, only_if_product=only_if_regex["product"],
        only_if_every_product=only_if_regex["every_product"], only_if_kind=only_if_kind,
        unless_kind=kinds["kind"], unless_every_kind=kinds["every_kind"],
        unless_months=months, unless_season=season, unless_until=until,
        unless_named_by_product=_flag(where, "unless.named_by_product", unless.get("named_by_product")),
        unless_named_by_offer=_flag(where, "unless.named_by_offer", unless.get("named_by_offer")),
        unless_in_a_list=_flag(where, "unless.in_a_list", unless.get("in_a_list")),
    )


def _months(where: str, value: Any) -> tuple[tuple[int, ...], tuple[tuple[str, tuple[int, ...]], ...]]:
    """``unless.months`` as (months everywhere, months per hemisphere); one of them is empty."""
    if value is None:
        return (), ()
    if isinstance(value, dict):
        unknown = set(value) - set(HEMISPHERES)
        if not value or unknown:
            raise ConfigError(f"{where}: unless.months as a mapping takes the keys {list(HEMISPHERES)} (a season's "
                              f"months in each hemisphere); got {sorted(map(str, value)) or 'no keys'}")
        return (), tuple((h, _month_list(where, f"unless.months.{h}", value[h])) for h in HEMISPHERES if h in value)
    return _month_list(where, "unless.months", value), ()


def _until(where: str, value: Any, months: tuple[int, ...]) -> tuple[int, int] | None:
    """``unless.until``, the holiday's day as "MM-DD", as (month, day); it needs a list of months."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d{2})-(\d{2})", value) if isinstance(value, str) else None
    try:
        day = date(2000, int(match.group(1)), int(match.group(2))) if match else None  # 2000: 29 February exists
    except ValueError:
        day = None
    if day is None:
        raise ConfigError(f"{where}: unless.until must be a day of the year as \"MM-DD\" (e.g. \"02-14\"); got {value!r}")
    if day.month not in months:
        raise ConfigError(f"{where}: unless.until {value!r} falls outside unless.months {list(months)}; it ends them")
    return day.month, day.day


def _month_list(where: str, key: str, value: Any) -> tuple[int, ...]:
    # bool is an int in Python: "yes" in YAML must not read as January
    if (not isinstance(value, list) or not value
            or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in value)):
        raise ConfigError(f"{where}: {key} must be a non-empty list of month numbers 1-12 (e.g. [11, 12]), or, for a "
                          f"season, a mapping {{north: [...], south: [...]}}; got {value!r}")
    return tuple(sorted(set(value)))


def _flag(where: str, key: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false; got {value!r}")
    return value


def is_single_word(text: str) -> bool:
    """Letters only, no space, digit or punctuation: what decoding can be steered away from."""
    return re.fullmatch(r"[^\W\d_]+", text) is not None


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: {key} must be a string or a list of strings; got {value!r}")


def _phrase(word: str) -> str:
    """A lexicon phrase as a regex: word-bounded where it starts/ends with a letter or digit (CJK has
    no word boundaries, so a Chinese phrase matches anywhere); spaces match any run of space or a hyphen."""
    word = word.strip()
    body = r"[\s-]+".join(re.escape(part) for part in word.split())
    start = r"\b" if re.match(r"[A-Za-z0-9]", word) else ""
    end = r"\b" if re.search(r"[A-Za-z0-9]$", word) else ""
    return f"{start}{body}{end}"


def example_brief_values(example: Any) -> tuple[str, dict]:
    """An example's text and its context overrides (channel, offer, segment, policy, products, send_date)."""
    if isinstance(example, str):
        return example, {}
    if isinstance(example, dict) and isinstance(example.get("text"), str):
        return example["text"], {k: v for k, v in example.items() if k != "text"}
    raise ConfigError(f"an example must be a string or a mapping with 'text'; got {example!r}")


__all__: Sequence[str] = ("Rule", "RuleSet", "Finding", "default_rules", "is_single_word", "load_rule_file", "policy_supports",
                          "POLICY_FACTS")
