"""What this shop does and does not offer: the facts a claim in the copy may rest on.

Read from the project file's ``[policy]`` table. Nothing here is a default of the product: an
unset field means "the shop has not said", so a claim that needs it is not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

from contentgen.brief import LANGUAGES
from contentgen.errors import ConfigError

# where the shop's seasons fall: "" = not stated, so no season in the copy is checked against the date
HEMISPHERES: tuple[str, ...] = ("", "north", "south")
# a concatenated SMS of more parts than this is a letter, not a text message (and costs as many sends)
MAX_SMS_PARTS = 4


@dataclass(frozen=True)
class ShopPolicy:
    """The shop's own facts, used by the prompts (what the shop is) and the guardrails (claims)."""

    description: str = ""  # what the shop is, in its words, e.g. "an online gift shop"
    free_shipping_threshold: float | None = None  # orders at or above this ship free; None = never said
    stores: bool = False  # the shop has physical stores
    pickup: bool = False  # orders can be picked up
    handmade_lines: tuple[str, ...] = ()  # product-name words of lines the shop makes by hand
    delivery_times: str = ""  # e.g. "2-4 working days in the UK"; empty = never promised
    cleared_products: tuple[str, ...] = ()  # product ids the shop has reviewed and released from quarantine
    # "north" or "south": whose spring a December send is in; "" = not stated (seasons go unchecked)
    hemisphere: str = ""
    # SMS parts a message may use, per language, where the shop says (each part is paid as one SMS):
    # (("zh", 1),) holds Chinese SMS to one part; languages left out keep the product's default
    # (``GuardrailSettings.sms_parts``: English one part, Chinese two)
    sms_parts: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        for language, parts in self.sms_parts:
            if language not in LANGUAGES:
                raise ConfigError(f"policy sms_parts has a language {language!r} the shop's templates do not write; "
                                  f"fix: use {' or '.join(repr(x) for x in LANGUAGES)}, e.g. sms_parts = {{zh = 1}}")
            if isinstance(parts, bool) or not isinstance(parts, int) or not 1 <= parts <= MAX_SMS_PARTS:
                raise ConfigError(f"policy sms_parts for {language!r} is {parts!r}; fix: a whole number of parts "
                                  f"from 1 to {MAX_SMS_PARTS} (each part is paid as one SMS)")
        if self.hemisphere not in HEMISPHERES:
            raise ConfigError(f"policy hemisphere {self.hemisphere!r} is not one of \"north\", \"south\" or \"\" "
                              "(not stated); fix: set hemisphere = \"north\" or \"south\" in [policy], or leave it out")
