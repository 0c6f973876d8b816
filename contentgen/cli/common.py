"""Options every command shares: which project (and so which shop) to use."""

from __future__ import annotations

from pathlib import Path

import typer

PROJECT_HELP = (
    "Project file (contentgen.toml: data, voice, policy, offers, models). Default: ./contentgen.toml "
    "when present, else the demo project. `contentgen init` writes one."
)
DATA_HELP = (
    "Shop data, overriding the project's [data] folder: 'demo' (the bundled slice of the UCI Online "
    "Retail shop), 'real' (the full history in ../shared/data/online-retail), or a folder of export files."
)
MAPPING_HELP = "Column-mapping file (TOML/YAML), overriding the project's [data] mapping."

ProjectOption = typer.Option(None, "--project", help=PROJECT_HELP, dir_okay=False)
DataOption = typer.Option(None, "--data", help=DATA_HELP, show_default=False)
MappingOption = typer.Option(None, "--mapping", help=MAPPING_HELP, exists=True, dir_okay=False)


def project_from_options(
    project: Path | None = None,
    data: str | None = None,
    mapping: Path | None = None,
    *,
    default_data: str = "demo",
    backend: str | None = None,
    model: str | None = None,
):
    """The project the options name, with --data/--mapping/--backend/--model as overrides.

    ``default_data`` is the shop a command uses when neither --data nor a project file says
    (the evaluation commands default to the full 'real' history).
    """
    from contentgen.project import PROJECT_FILE, load_project

    loaded = load_project(project)
    if data is None and project is None and not Path(PROJECT_FILE).is_file() and default_data != loaded.data.folder:
        data = default_data
    return loaded.with_overrides(data=data, mapping=mapping, backend=backend, model=model)


def load_shop_from_options(
    data: str | None = None,
    mapping: Path | None = None,
    on_invalid: str | None = None,
    project: Path | None = None,
    *,
    default_data: str = "demo",
):
    """Load the shop the --project/--data/--mapping options name."""
    return project_from_options(project, data, mapping, default_data=default_data).load_shop(on_invalid=on_invalid)


def service_from_options(
    project: Path | None = None,
    data: str | None = None,
    mapping: Path | None = None,
    *,
    default_data: str = "demo",
    backend: str | None = None,
    model: str | None = None,
    generator=None,
    **settings,
):
    """The ContentService every command goes through, built from the project and the overrides.

    ``settings`` replace ServiceSettings fields (e.g. ``variants=2``) where not None.
    """
    from contentgen.service import ContentService

    chosen = project_from_options(project, data, mapping, default_data=default_data, backend=backend, model=model)
    overrides = {key: value for key, value in settings.items() if value is not None}
    return ContentService.from_project(chosen, generator, **overrides)
