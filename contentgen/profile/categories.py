"""Product categories for shops whose catalog has none: derived from product names by keywords.

The real shop exports no category. Keyword rules on the (upper-case, English) product names are
fast, deterministic and readable by a marketer, which embedding clusters are not; every derived
label is marked ``derived:keywords`` so nobody mistakes it for the shop's own taxonomy.
"""

from __future__ import annotations

import re

import pandas as pd

GIVEN = "given"
DERIVED_KEYWORDS = "derived:keywords"
OTHER = "other"

# Ordered: the first rule whose keyword appears in a title wins, so seasonal and specific rules
# come before broad ones ("CHRISTMAS T-LIGHT HOLDER" is Christmas; "LUNCH BAG" is a bag).
KEYWORD_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("christmas", ("CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWFLAKE", "NATIVITY", "BAUBLE", "WREATH")),
    ("easter", ("EASTER", "EGG", "CHICK", "BUNNY")),
    ("jewellery", ("NECKLACE", "BRACELET", "EARRINGS", "CHARM", "BEAD", "BEADS", "BEADED", "DIAMANTE",
                   "BROOCH", "JEWELLED", "PEARL", "HAIR", "BANGLE", "RING")),
    ("candles & lights", ("CANDLE", "CANDLES", "T-LIGHT", "T-LIGHTS", "TEALIGHT", "LANTERN", "LIGHTS",
                          "LIGHT", "LAMP", "LAMPSHADE", "INCENSE", "CANDLESTICK", "NIGHTLIGHT", "CANDLEHOLDER",
                          "CANDLEPOT", "TLIGHT", "MATCHES", "PAPERLANTERNS")),
    ("bags", ("BAG", "BAGS", "PURSE", "HANDBAG", "WASHBAG", "SHOPPER", "TOTE", "BACKPACK")),
    ("party & gifts", ("PARTY", "BIRTHDAY", "BALLOON", "BALLOONS", "BUNTING", "GIFT", "CONFETTI", "NAPKINS")),
    ("kitchen & tableware", ("MUG", "MUGS", "CUP", "CUPS", "TEACUP", "SAUCER", "PLATE", "PLATES", "BOWL",
                             "BOWLS", "CAKESTAND", "CAKE", "CAKES", "CUTLERY", "TRAY", "JAR", "DISH",
                             "KITCHEN", "APRON", "COASTER", "COASTERS", "TEA", "COFFEE", "LUNCH", "BOTTLE",
                             "TUMBLER", "TIN", "TINS", "PANTRY", "BAKING", "JELLY", "SPOON", "SPOONS",
                             "PLACEMATS", "TEAPOT", "GLASS", "BISCUIT", "STRAWS", "JUG", "OVEN", "TEATIME", "DOILIES",
                             "DOILY", "UTENSIL", "BREAD", "WASHING", "FOOD", "NAPKIN", "RECIPE")),
    ("stationery & wrap", ("CARD", "CARDS", "WRAP", "PAPER", "NOTEBOOK", "NOTEBOOKS", "PEN", "PENS",
                           "PENCIL", "PENCILS", "STICKERS", "STICKER", "TAPE", "RIBBON", "RIBBONS",
                           "ENVELOPE", "ENVELOPES", "BOOK", "CALENDAR", "TISSUES", "CRAYONS", "ERASER",
                           "STAMP", "NOTEPAD", "DIARY", "POSTCARD", "TAGS", "CHALK", "JOURNAL",
                           "LETTER", "LETTERS")),
    ("toys & kids", ("TOY", "TOYS", "DOLL", "DOLLY", "CHILDRENS", "CHILDS", "GAME", "GAMES", "JIGSAW",
                     "PUZZLE", "SKITTLES", "SPACEBOY", "KIDS", "PLAYHOUSE", "SLATE", "SOLDIER", "SOLDIERS",
                     "TEDDY", "DOMINOES", "MAGIC", "TATTOOS", "BABY", "CIRCUS", "SPINNING", "FELTCRAFT")),
    ("fashion & travel", ("SCARF", "PASSPORT", "LUGGAGE", "HAT", "GLOVES", "WARMER", "WALLET", "SOCKS",
                          "SLIPPERS", "POUCH", "HEADPHONES", "COMPACT")),
    ("garden & outdoor", ("GARDEN", "PICNIC", "PARASOL", "UMBRELLA", "WATERING", "PLANT", "PLANTER",
                          "TROWEL", "HAMMOCK", "BIRDHOUSE", "FLOWERPOT", "POT", "POTS")),
    ("home decor", ("FRAME", "MIRROR", "CLOCK", "CUSHION", "SIGN", "DOORMAT", "HOOK", "HOOKS", "HANGER",
                    "DRAWER", "CABINET", "KNOB", "TILE", "PICTURE", "ART", "WALL", "DECORATION", "GARLAND",
                    "BASKET", "STORAGE", "BOX", "BOXES", "VASE", "BLANKET", "THROW", "QUILT", "DOOR",
                    "STAND", "ORNAMENT", "HEART", "MAGNET", "MAGNETS", "SHELF", "BELL", "CHIME", "WICKER", "PHOTO",
                    "ALBUM", "HOLDER", "HLDR", "TOWEL", "CURTAIN", "MOBILE", "ORGANISER", "RACK", "STAR")),
)

# The derived categories' names in Chinese, for zh copy and prompts (a shop's own categories pass as they are).
CATEGORY_NAMES_ZH: dict[str, str] = {
    "christmas": "圣诞用品",
    "easter": "复活节用品",
    "jewellery": "首饰",
    "candles & lights": "蜡烛与灯饰",
    "bags": "包袋",
    "party & gifts": "派对与礼品",
    "kitchen & tableware": "厨房与餐具",
    "stationery & wrap": "文具与包装",
    "toys & kids": "玩具与儿童用品",
    "fashion & travel": "服饰与旅行",
    "garden & outdoor": "园艺与户外",
    "home decor": "家居装饰",
}


def category_name(category: str, language: str = "en") -> str:
    """A category's name for copy in ``language``."""
    return CATEGORY_NAMES_ZH.get(category, category) if language == "zh" else category


_WORD = re.compile(r"[A-Z][A-Z\-]*")


def keyword_category(title: str, rules: tuple[tuple[str, tuple[str, ...]], ...] = KEYWORD_RULES) -> str:
    """The derived category of one product name (``other`` when no rule matches)."""
    words = set(_WORD.findall(str(title).upper()))
    for category, keywords in rules:
        if words.intersection(keywords):
            return category
    return OTHER


def product_categories(
    catalog: pd.DataFrame, rules: tuple[tuple[str, tuple[str, ...]], ...] = KEYWORD_RULES
) -> tuple[pd.Series, str]:
    """Category per product id and where it came from (``given`` or ``derived:keywords``).

    The shop's own categories are used when every product has one; otherwise all products get
    derived ones, so one shopper's affinities never mix two taxonomies.
    """
    ids = catalog["product_id"].astype(str)
    given = catalog["category"].astype("string").fillna("").str.strip() if "category" in catalog else None
    if given is not None and len(given) and (given != "").all():
        return pd.Series(given.to_numpy(), index=ids.to_numpy(), name="category"), GIVEN
    # Titles repeat little, but derive once per distinct title anyway: cheap and keeps order.
    titles = catalog["title"].astype("string").fillna("")
    lookup = {title: keyword_category(title, rules) for title in titles.unique()}
    derived = titles.map(lookup)
    return pd.Series(derived.to_numpy(), index=ids.to_numpy(), name="category"), DERIVED_KEYWORDS
