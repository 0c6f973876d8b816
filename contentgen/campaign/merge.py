"""Merging a cohort's creative lines with one recipient's facts, then checking the final message (pure).

The model wrote the creative lines once for the cohort; here each recipient's own products,
prices, offer code, first name, links and the legal footer are placed around them by the
template's layout, and the whole final message goes through every guardrail with the
recipient's own Brief. When the assigned variant fails for this recipient, the next passing
variant is used; when none passes, the template's labelled fallback; a fallback that fails too
is an error row, never a message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import re
from typing import Collection, Mapping, Sequence

from contentgen.brief import Brief
from contentgen.generate.guardrails import (Check, GuardrailSettings, check_copy, checked_parts, failed, preferred_fallback,
                                            with_shop_sms_parts)
from contentgen.generate.prompts import PromptTemplate, TemplateLibrary
from contentgen.policy import ShopPolicy

# The ESP's unsubscribe merge tag is checked as the link it becomes: tags like Klaviyo's
# "{% unsubscribe %}" would otherwise read as an unfilled placeholder.
UNSUBSCRIBE_STAND_IN = "https://unsubscribe.invalid/u"
ESP_UNSUBSCRIBE_TAGS = {"mailchimp": "*|UNSUB|*", "klaviyo": "{% unsubscribe %}"}
ESPS: tuple[str, ...] = ("generic", "mailchimp", "klaviyo")
# an SMS's opt-out in the recipient's language (a Chinese SMS carried the English line until
# 2026-12-06); STOP stays the keyword, the one the shop's SMS gateway acts on
SMS_OPT_OUT: Mapping[str, str] = {"en": "STOP to opt out", "zh": "回复 STOP 退订"}


@dataclass(frozen=True)
class Footer:
    """The legal footer of one message: the shop's postal address and the unsubscribe link or tag."""

    lines: tuple[str, ...] = ()
    unsubscribe: str = ""  # what replaces UNSUBSCRIBE_STAND_IN in the message as written out
    inline: tuple[tuple[str, str], ...] = ()  # an SMS's opt-out text by language, appended to its body

    def inline_for(self, language: str) -> str:
        """The opt-out for a message in ``language`` (English where the footer has none in it)."""
        texts = dict(self.inline)
        return texts.get(language, texts.get("en", ""))

    def allowed(self) -> tuple[str, ...]:
        # footer strings are merge fields: their numbers, postcodes and links are facts by construction
        return tuple(s for s in (*self.lines, UNSUBSCRIBE_STAND_IN, *(text for _, text in self.inline)) if s)


def make_footer(channel: str, esp: str, shop: str, postal_address: str, unsubscribe_link: str = "") -> Footer:
    """The footer a recipient's message carries on ``channel`` for ``esp``."""
    if channel == "sms":
        return Footer(inline=tuple(SMS_OPT_OUT.items()))
    if channel != "email":
        return Footer()
    tag = ESP_UNSUBSCRIBE_TAGS.get(esp, unsubscribe_link)
    lines = tuple(line for line in (f"{shop}, {postal_address}" if postal_address else shop,) if line)
    return Footer(lines=lines, unsubscribe=tag)


@dataclass(frozen=True)
class Merged:
    """One recipient's final message, or why there is none (``status`` "ready" or "error")."""

    status: str
    fields: tuple[tuple[str, str], ...]
    creative: tuple[tuple[str, str], ...]
    checks: tuple[Check, ...]
    variant: str  # the variant used; "" for the fallback or an error
    fallback: bool
    detail: str = ""  # for an error: the checks the fallback failed

    def field(self, name: str) -> str:
        return dict(self.fields).get(name, "")


def names_a_product(text: str, product_names: Collection[str], min_chars: int = 10) -> list[str]:
    """Catalog names that appear in ``text`` (a cohort's lines must name none: each member has other products)."""
    lowered = text.lower()
    return [n for n in product_names if len(n) >= min_chars and n.lower() in lowered]


class Merger:
    """Merges and checks recipients' messages for one template library and guardrail settings."""

    def __init__(self, templates: TemplateLibrary, known_products: Collection[str] = (),
                 guardrails: GuardrailSettings | None = None, policy: ShopPolicy | None = None) -> None:
        self.templates = templates
        self.known_products = tuple(known_products)
        self.policy = policy or ShopPolicy()  # the shop's own facts: claims they support pass
        # the shop's [policy] sms_parts, where set, over the product's defaults
        self.guardrails = with_shop_sms_parts(guardrails or GuardrailSettings(), self.policy)

    def _message(self, template: PromptTemplate, brief: Brief, creative: Mapping[str, str], footer: Footer,
                 fallback: bool = False):
        fields = self.templates.render_message(template, brief, creative)
        opt_out = footer.inline_for(brief.language)
        if opt_out and "body" in fields:
            body = fields["body"].rstrip()
            if brief.language == "zh":  # full-width stop, no space
                fields["body"] = f"{body}{'' if body.endswith(('。', '！', '？')) else '。'}{opt_out}"
            else:
                fields["body"] = f"{body}{'' if body.endswith(('.', '!', '?')) else '.'} {opt_out}"
        if (footer.lines or footer.unsubscribe) and "body" in fields:
            block = "\n".join((*footer.lines, f"Unsubscribe: {UNSUBSCRIBE_STAND_IN}"))
            fields["body"] = f"{fields['body']}\n\n--\n{block}"
        checks = check_copy(
            fields, checked_parts(creative, fallback), brief, template.field_limits(), {p.name: p.max_chars for p in template.creative},
            {p.name for p in template.creative if p.sentence}, False, self.known_products, self.guardrails, self.policy,
        )
        return fields, checks

    def merge(self, brief: Brief, template_name: str, variants: Sequence[tuple[str, Mapping[str, str]]],
              slot: int, footer: Footer = Footer()) -> Merged:
        """The message for ``brief``: variant ``slot`` (then the next ones, wrapping), else the fallback."""
        template = self.templates.get(template_name)
        brief = replace(brief, links=tuple(dict.fromkeys((*brief.links, *footer.allowed()))))
        order = [(slot + k) % len(variants) for k in range(len(variants))] if variants else []
        for index in order:
            name, creative = variants[index]
            fields, checks = self._message(template, brief, creative, footer)
            if not failed(checks):
                return Merged("ready", self._final(fields, footer), tuple(creative.items()), checks, name, False)
        # the template's fallbacks in its order; the first that passes (and fits one SMS part) is used
        creative, fields, checks = preferred_fallback(((creative, *self._message(template, brief, creative, footer, fallback=True))
                                                       for creative in self.templates.render_fallbacks(template, brief)),
                                                      brief.channel)
        problems = failed(checks)
        if problems:
            detail = "; ".join(f"{c.name}: {c.detail}" for c in problems)
            return Merged("error", (), tuple(creative.items()), checks, "", True, detail)
        return Merged("ready", self._final(fields, footer), tuple(creative.items()), checks, "", True)

    @staticmethod
    def _final(fields: Mapping[str, str], footer: Footer) -> tuple[tuple[str, str], ...]:
        return tuple((k, v.replace(UNSUBSCRIBE_STAND_IN, footer.unsubscribe)) for k, v in fields.items())


def usable_cohort_variants(copies, product_names: Collection[str], granularity: str) -> list[dict[str, str]]:
    """The creative parts of a cohort's passing, non-fallback copies; a cohort's lines that name a
    product are dropped (true for one member only), except at ``recipient`` granularity."""
    out = []
    for copy in copies:
        if copy.fallback or not copy.passed:
            continue
        creative = dict(copy.creative)
        if granularity != "recipient" and names_a_product(" ".join(creative.values()), product_names):
            continue
        out.append(creative)
    return out


_HTML_LINK = re.compile(r"(https?://[^\s<>\"]+)")


def body_html(text: str, unsubscribe_tag: str = "") -> str:
    """Simple HTML of a text body: escaped paragraphs, links clickable, the ESP's tag kept verbatim."""
    import html

    paragraphs = []
    for block in re.split(r"\n{2,}", text.strip()):
        escaped = html.escape(block)
        escaped = _HTML_LINK.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
        # a plain link is already clickable; Mailchimp's tag is a URL to wrap; Klaviyo's renders its own link
        if unsubscribe_tag.startswith("*|"):
            escaped = escaped.replace(unsubscribe_tag, f'<a href="{unsubscribe_tag}">unsubscribe</a>')
        paragraphs.append("<p>" + escaped.replace("\n", "<br>") + "</p>")
    return "\n".join(paragraphs)
