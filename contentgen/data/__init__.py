"""The data layer: shop export files → a validated, canonical ``Shop`` with a load report."""

from contentgen.data.loader import demo_data_dir, load_demo_shop, load_real_shop, load_shop, mapping_path
from contentgen.data.mapping import Mapping, read_mapping
from contentgen.data.report import LoadReport
from contentgen.data.schema import EVENT_TYPES, Shop
from contentgen.data.text import display_title

__all__ = [
    "EVENT_TYPES",
    "LoadReport",
    "Mapping",
    "Shop",
    "demo_data_dir",
    "display_title",
    "load_demo_shop",
    "load_real_shop",
    "load_shop",
    "mapping_path",
    "read_mapping",
]
