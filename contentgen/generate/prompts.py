"""Prompt templates: Jinja files with YAML front matter, loaded from ``prompts/`` and rendered sandboxed.

A template declares its channel, language, the creative parts the model writes (with length
limits) and the message fields it assembles. Its body holds Jinja blocks: ``system`` and ``user``
(the prompt), then one block per message field (the layout, where facts enter as merge fields).
The ``fallback`` creative parts in the front matter are used when no sample passes the checks: one
mapping, or a list of them in order of preference (the Writer uses the first whose message passes
every check, so a shorter line can stand in where a long product name leaves the first no room).
The prompt blocks see ``limits`` (each creative part's length); the field blocks see ``field_limits``
(each message field's length, from the front matter's ``fields``), so a layout can ask whether a merge
field fits without writing the number again.
Copywriters add a template by dropping a ``<name>.j2`` file into ``prompts/``.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
from pathlib import Path
import re
from typing import Any, Mapping

import jinja2
from jinja2.sandbox import SandboxedEnvironment
import yaml

from contentgen.brief import CHANNELS, LANGUAGES, Brief
from contentgen.data.text import MONTH_NAMES, format_date, format_money, sanitize_untrusted  # noqa: F401  (re-exported: older imports)
from contentgen.errors import TemplateError
from contentgen.generate.exemplars import AUDIENCES
from contentgen.generate.product_kinds import kind_words
from contentgen.generate.rules import is_single_word
from contentgen.policy import ShopPolicy

logger = logging.getLogger(__name__)

PROMPT_BLOCKS = ("system", "user")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.S)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")

@dataclass(frozen=True)
class CreativePart:
    """A part the model writes: its JSON key, length limit, and whether it must end like a sentence."""

    name: str
    max_chars: int
    sentence: bool = False


@dataclass(frozen=True)
class PromptTemplate:
    """A parsed, validated template file."""

    name: str
    channel: str
    language: str
    description: str
    creative: tuple[CreativePart, ...]
    fields: tuple[tuple[str, int], ...]  # message field name -> max characters
    # the copywriter's safe texts in order of preference, each creative part -> Jinja source
    fallbacks: tuple[tuple[tuple[str, str], ...], ...]
    path: str
    source: str
    # whose approved examples the prompt shows (exemplars.AUDIENCES): "shopper", examples written for one
    # shopper's products, or "cohort", lines that fit any products, for a template whose line must
    examples: str = "shopper"
    # passing candidates beyond the variants a sequential backend samples for before ranking, where this
    # template's pools hold more worth choosing from than most (None: ``WriterSettings.spare``)
    spare: int | None = None
    # rounds of samples a brief may take before the fallback, where this template's lines pass the
    # checks less often than most (None: ``WriterSettings.max_rounds``)
    rounds: int | None = None
    # single words decoding is pushed away from for this template though no check refuses them: words
    # readers send this channel's lines with less often than without (front matter ``steer``)
    steer: tuple[str, ...] = ()

    def field_limits(self) -> dict[str, int]:
        return dict(self.fields)

    def json_schema(self) -> dict:
        """The JSON object the model must answer with: one string per creative part.

        No ``maxLength``: constrained decoding would cut a sentence mid-word; lengths are checked after.
        """
        names = [part.name for part in self.creative]
        return {
            "type": "object",
            "properties": {name: {"type": "string"} for name in names},
            "required": names,
            "additionalProperties": False,
        }


@dataclass(frozen=True)
class RenderedPrompt:
    system: str
    user: str


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = lambda value, currency="GBP": format_money(value, currency)
    return env


def send_month(brief: Brief) -> str:
    """The month the message goes out, in the brief's language ("December", "12月"); "" when the
    send date is not known. The prompt names it so the model writes for the right season."""
    month = brief.send_month
    if month is None:
        return ""
    return f"{month}月" if brief.language == "zh" else MONTH_NAMES[month - 1]


def context_for(brief: Brief, creative: Mapping[str, str] | None = None, policy: ShopPolicy | None = None) -> dict[str, Any]:
    """The variables a template sees: the Brief's content (no segment label), untrusted text
    sanitized, what the shop is in its own words (``shop_description``, from its policy; empty
    when it has not said: no shop's description is a default of the product), the month the
    message goes out (``send_month``; empty when not known), and what kind of thing each product is
    in a word or two (``kind``, from the kinds lexicon: "kitchenware", "bags"; empty when not known)."""
    products = [
        {
            "name": sanitize_untrusted(p.name),
            "price": format_money(p.price, p.currency),
            "url": p.url,
            "category": sanitize_untrusted(p.category, 40),
            "kind": kind_words(p.name, p.category),
            "reasons": [sanitize_untrusted(r, 100) for r in p.reasons],
        }
        for p in brief.products
    ]
    offer = None
    if brief.offer is not None and brief.offer.kind != "none":
        offer = {
            "kind": brief.offer.kind,
            # the wording starts a sentence wherever a template puts it ("... £2.95. Free shipping ...")
            "description": brief.offer.description[:1].upper() + brief.offer.description[1:],
            "code": brief.offer.code,
            # the end date as the shop writes a date ("11 December 2010"), not the brief's ISO form
            "expires": format_date(brief.offer.expires, brief.language, brief.voice.spelling),
        }
    return {
        "shop": brief.voice.name,
        "shop_description": (policy.description.strip() if policy is not None else ""),
        "voice": {
            "tone": brief.voice.tone,
            "use_words": list(brief.voice.use_words),
            "avoid_words": list(brief.voice.avoid_words),
        },
        "send_month": send_month(brief),
        "first_name": sanitize_untrusted(brief.first_name, 30),
        "situation": brief.situation,
        "interests": [sanitize_untrusted(i, 40) for i in brief.interests],
        "products": products,
        "offer": offer,
        "channel": brief.channel,
        "language": brief.language,
        "creative": dict(creative or {}),
    }


class TemplateLibrary:
    """The templates of a prompts directory, by name and by (channel, language)."""

    def __init__(self, templates: Mapping[str, PromptTemplate]) -> None:
        self._templates = dict(templates)
        self._env = _environment()
        self._compiled = {name: self._env.from_string(t.source) for name, t in self._templates.items()}

    @classmethod
    def load(cls, directory: str | Path | None = None) -> "TemplateLibrary":
        """Load and validate every ``*.j2`` file in ``directory`` (default: the shipped templates)."""
        from contentgen.resources import prompts_dir

        directory = Path(directory) if directory else prompts_dir()
        if not directory.is_dir():
            raise TemplateError(f"prompts directory {directory} does not exist; pass the folder holding the .j2 templates")
        templates = {}
        for path in sorted(directory.glob("*.j2")):
            template = parse_template(path.read_text(encoding="utf-8"), str(path))
            if template.name in templates:
                raise TemplateError(f"{path}: template name {template.name!r} is used twice; rename one")
            templates[template.name] = template
        library = cls(templates)
        for template in templates.values():
            library._dry_run(template)
        logger.info("loaded %d prompt templates from %s", len(templates), directory)
        return library

    @property
    def names(self) -> list[str]:
        return sorted(self._templates)

    def get(self, name: str) -> PromptTemplate:
        try:
            return self._templates[name]
        except KeyError:
            raise TemplateError(f"no template {name!r}; available: {', '.join(self.names)}") from None

    def for_brief(self, brief: Brief) -> PromptTemplate:
        """The first template (by name) for the brief's channel and language."""
        for name in self.names:
            template = self._templates[name]
            if template.channel == brief.channel and template.language == brief.language:
                return template
        available = sorted({(t.channel, t.language) for t in self._templates.values()})
        raise TemplateError(
            f"no template for channel {brief.channel!r} in language {brief.language!r}; "
            f"available: {available}; add a .j2 file to the prompts directory"
        )

    def _block(self, template: PromptTemplate, block: str, context: dict[str, Any]) -> str:
        compiled = self._compiled[template.name]
        try:
            text = "".join(compiled.blocks[block](compiled.new_context(context)))
        except jinja2.TemplateError as error:
            raise TemplateError(f"{template.path}: block {block!r} failed to render: {error}") from error
        return text.strip()

    def render_prompt(self, template: PromptTemplate, brief: Brief, policy: ShopPolicy | None = None,
                      limits: Mapping[str, int] | None = None) -> RenderedPrompt:
        """The system and user messages for ``brief`` (``policy``: what the shop is and offers;
        ``limits``: each creative part's length, where the message leaves less than the template's)."""
        context = context_for(brief, policy=policy)
        context["limits"] = {part.name: part.max_chars for part in template.creative} | dict(limits or {})
        return RenderedPrompt(self._block(template, "system", context), self._block(template, "user", context))

    def render_fallbacks(self, template: PromptTemplate, brief: Brief) -> list[dict[str, str]]:
        """The safe creative parts written by the copywriter, for when no sample passes: each of the
        template's fallbacks, in its order of preference."""
        context = context_for(brief)
        out = []
        for number, fallback in enumerate(template.fallbacks):
            rendered = {}
            for part, source in fallback:
                try:
                    rendered[part] = self._env.from_string(source).render(context).strip()
                except jinja2.TemplateError as error:
                    which = f"fallback {number + 1} " if len(template.fallbacks) > 1 else "fallback "
                    raise TemplateError(f"{template.path}: {which}{part!r} failed to render: {error}") from error
            out.append(rendered)
        return out

    def render_fallback(self, template: PromptTemplate, brief: Brief) -> dict[str, str]:
        """The copywriter's first (preferred) safe text."""
        return self.render_fallbacks(template, brief)[0]

    def render_message(self, template: PromptTemplate, brief: Brief, creative: Mapping[str, str]) -> dict[str, str]:
        """The message fields: the model's creative parts placed around the merge fields."""
        context = context_for(brief, creative)
        context["field_limits"] = template.field_limits()
        return {name: re.sub(r"\n{3,}", "\n\n", self._block(template, name, context)) for name, _ in template.fields}

    def _dry_run(self, template: PromptTemplate) -> None:
        # Render every block once with a sample brief so unknown variables fail at load, not mid-campaign.
        from contentgen.brief import BrandVoice, OfferTerms, ProductFact

        sample = Brief(
            channel=template.channel,
            language=template.language,
            voice=BrandVoice(),
            products=(ProductFact("p1", "Sample Product", 1.0, reasons=("bought together",)),),
            offer=OfferTerms("o1", "percent_off", 10, "CODE10", "2030-01-01", "10% off"),
            first_name="Ann",
            situation="orders often",
            interests=("candles",),
            send_date="2030-01-01",
        )
        self.render_prompt(template, sample)
        for fallback in self.render_fallbacks(template, sample):
            self.render_message(template, sample, fallback)
            self.render_message(template, Brief(template.channel, template.language, BrandVoice(), sample.products), fallback)


def parse_template(text: str, path: str = "<string>") -> PromptTemplate:
    """Parse and validate one template file's text (TemplateError naming the file and the fix)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise TemplateError(f"{path}: missing front matter; start the file with '---', YAML keys, then '---'")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise TemplateError(f"{path}: front matter is not valid YAML: {error}") from error
    if not isinstance(meta, dict):
        raise TemplateError(f"{path}: front matter must be a mapping of keys")
    allowed = {"name", "channel", "language", "description", "creative", "fields", "fallback", "examples", "spare", "rounds", "steer"}
    unknown = set(meta) - allowed
    if unknown:
        raise TemplateError(f"{path}: unknown front matter keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    for key in ("channel", "language", "creative", "fields", "fallback"):
        if key not in meta:
            raise TemplateError(f"{path}: front matter needs {key!r}")
    name = str(meta.get("name") or Path(path).stem)
    if meta["channel"] not in CHANNELS:
        raise TemplateError(f"{path}: channel {meta['channel']!r} is not one of {CHANNELS}")
    if meta["language"] not in LANGUAGES:
        raise TemplateError(f"{path}: language {meta['language']!r} is not one of {LANGUAGES}")
    creative = tuple(_creative_part(path, key, value) for key, value in _mapping(path, "creative", meta["creative"]).items())
    fields = tuple((key, _limit(path, f"fields.{key}", value)) for key, value in _mapping(path, "fields", meta["fields"]).items())
    fallbacks = _fallbacks(path, meta["fallback"])
    examples = str(meta.get("examples", "shopper"))
    if examples not in AUDIENCES:
        raise TemplateError(f"{path}: examples {examples!r} is not one of {AUDIENCES} (whose approved examples the prompt shows)")
    spare = meta.get("spare")
    if spare is not None and (isinstance(spare, bool) or not isinstance(spare, int) or not 0 <= spare <= 20):
        raise TemplateError(f"{path}: spare {spare!r} is not a whole number from 0 to 20 (passing candidates beyond the "
                            "variants sampled for the ranking); leave it out for the Writer's setting")
    rounds = meta.get("rounds")
    if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= 10):
        raise TemplateError(f"{path}: rounds {rounds!r} is not a whole number from 1 to 10 (rounds of samples a brief may "
                            "take before the fallback); leave it out for the Writer's setting")
    steer = meta.get("steer") or []
    if not isinstance(steer, list) or not all(isinstance(w, str) and is_single_word(w) for w in steer):
        raise TemplateError(f"{path}: steer {steer!r} is not a list of single words (letters only) for decoding to avoid")
    for number, fallback in enumerate(fallbacks):
        missing = {p.name for p in creative} - set(fallback)
        if missing:
            which = f"fallback {number + 1}" if len(fallbacks) > 1 else "fallback"
            raise TemplateError(f"{path}: {which} lacks text for creative parts {sorted(missing)}")
    try:
        compiled = _environment().parse(match.group(2))
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"{path}: Jinja syntax error on body line {error.lineno}: {error.message}") from error
    blocks = {node.name for node in compiled.find_all(jinja2.nodes.Block)}
    needed = set(PROMPT_BLOCKS) | {name for name, _ in fields}
    if needed - blocks:
        raise TemplateError(f"{path}: missing Jinja blocks {sorted(needed - blocks)}; add {{% block name %}}...{{% endblock %}}")
    return PromptTemplate(
        name=name,
        channel=meta["channel"],
        language=meta["language"],
        description=str(meta.get("description", "")),
        creative=creative,
        fields=fields,
        fallbacks=tuple(tuple((str(k), "" if v is None else str(v)) for k, v in fallback.items()) for fallback in fallbacks),
        path=path,
        source=match.group(2),
        examples=examples,
        spare=spare,
        rounds=rounds,
        steer=tuple(steer),
    )


def _mapping(path: str, key: str, value: object) -> dict:
    if not isinstance(value, dict) or not value:
        raise TemplateError(f"{path}: {key!r} must be a non-empty mapping")
    for name in value:
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise TemplateError(f"{path}: {key}.{name!r} must be a lower-case identifier")
    return value


def _fallbacks(path: str, value: object) -> list[dict]:
    """The front matter's ``fallback``: one mapping, or a non-empty list of them (tried in order)."""
    if isinstance(value, list):
        if not value:
            raise TemplateError(f"{path}: 'fallback' must be a mapping or a non-empty list of mappings")
        return [_mapping(path, f"fallback {number + 1}", item) for number, item in enumerate(value)]
    return [_mapping(path, "fallback", value)]


def _limit(path: str, key: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise TemplateError(f"{path}: {key} must be a positive number of characters, got {value!r}")
    return value


def _creative_part(path: str, key: str, value: object) -> CreativePart:
    if isinstance(value, dict):
        extra = set(value) - {"max_chars", "sentence"}
        if extra or "max_chars" not in value:
            raise TemplateError(f"{path}: creative.{key} takes max_chars (required) and sentence; got {sorted(value)}")
        return CreativePart(key, _limit(path, f"creative.{key}.max_chars", value["max_chars"]), bool(value.get("sentence", False)))
    return CreativePart(key, _limit(path, f"creative.{key}", value))
