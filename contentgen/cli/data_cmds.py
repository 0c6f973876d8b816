"""`contentgen load`: read a shop's exports and print the load report."""

from __future__ import annotations

from pathlib import Path

import typer

from contentgen.cli.common import DataOption, MappingOption, ProjectOption, load_shop_from_options


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load(
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
        rejects: Path = typer.Option(None, "--rejects", help="Write the rows set aside (file, line, reason) to this CSV."),
        on_invalid: str = typer.Option(
            None, "--on-invalid", help="'raise' stops at the first bad cell; 'reject' sets bad rows aside (default: the mapping's)."
        ),
    ) -> None:
        """Load and clean a shop's export files; print what each cleaning rule did."""
        shop = load_shop_from_options(data, mapping, on_invalid, project)
        typer.echo(shop.report.to_text())
        if rejects is not None:
            path = shop.report.write_rejects(rejects)
            typer.echo(f"wrote {shop.report.total_rejected:,} set-aside rows to {path}")
