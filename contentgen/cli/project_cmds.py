"""`contentgen init`: write a commented project file (contentgen.toml) to start a shop from."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        out: Path = typer.Option(Path("contentgen.toml"), "--out", dir_okay=False, help="Where to write the project file."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    ) -> None:
        """Write a commented project file for the demo shop; edit its [data], [voice] and [policy] for yours."""
        from contentgen.project import load_project, write_project_template

        path = write_project_template(out, force=force)
        project = load_project(path)  # what was written must load: fail here, not in the next command
        typer.echo(
            f"wrote {path}: shop data {project.data.folder!r}, voice {project.voice.name!r}, "
            f"model {project.model.name} ({project.model.backend}). Every command in {path.resolve().parent} "
            "now reads it (or pass --project FILE)."
        )
