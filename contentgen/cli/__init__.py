"""The `contentgen` command line: a thin layer over the library API.

Each command group lives in its own module with a ``register(app)`` function; this file only
assembles them and turns domain errors into one readable line.
"""

from __future__ import annotations

import importlib
import logging
import sys

import typer

from contentgen.errors import ContentgenError

app = typer.Typer(
    name="contentgen",
    help="Personalized, grounded marketing copy for an e-commerce shop, on one machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per concept; each defines register(app). Heavy imports stay inside the commands.
COMMAND_MODULES: tuple[str, ...] = (
    "contentgen.cli.project_cmds",
    "contentgen.cli.data_cmds",
    "contentgen.cli.demo_cmds",
    "contentgen.cli.evaluate_cmds",
    "contentgen.cli.campaign_cmds",
    "contentgen.cli.profile_cmds",
    "contentgen.cli.index_cmds",
    "contentgen.cli.generate_cmds",
    "contentgen.cli.serve_cmds",
    "contentgen.cli.list_cmds",
)


@app.callback()
def _root() -> None:
    """Personalized, grounded marketing copy for an e-commerce shop, on one machine."""


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_all()


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except ContentgenError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(2)
