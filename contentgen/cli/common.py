"""Options every command shares: which shop to load."""

from __future__ import annotations

from pathlib import Path

import typer

DATA_HELP = (
    "Shop data: 'demo' (the bundled slice of the UCI Online Retail shop), 'real' (the full "
    "history in ../shared/data/online-retail), or a folder of export files read with --mapping."
)
MAPPING_HELP = "Column-mapping file (TOML/YAML); defaults to the shipped online-retail mapping."

DataOption = typer.Option("demo", "--data", help=DATA_HELP)
MappingOption = typer.Option(None, "--mapping", help=MAPPING_HELP, exists=True, dir_okay=False)


def load_shop_from_options(data: str = "demo", mapping: Path | None = None, on_invalid: str | None = None):
    """Load the shop the --data/--mapping options name."""
    from contentgen.data import demo_data_dir, load_real_shop, load_shop, mapping_path

    if data == "real" and mapping is None and on_invalid is None:
        return load_real_shop()
    if data == "demo":
        folder = demo_data_dir()
    elif data == "real":
        from contentgen.data.loader import REAL_DATA_DIR

        folder = REAL_DATA_DIR
    else:
        folder = Path(data)
    return load_shop(mapping or mapping_path(), folder, on_invalid=on_invalid)
