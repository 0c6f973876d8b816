"""Files shipped with contentgen: prompts, mappings, default offers, the demo shop and its project file.

Everything is found with ``importlib.resources``, so an installed wheel finds its own copies.
The one exception is a source checkout: the repository's top-level ``prompts/`` folder is the
source of truth for the templates (the wheel ships it as ``contentgen/prompts``), and a checkout
run from ``PYTHONPATH`` or an editable install has no ``contentgen/prompts`` to find.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from contentgen.errors import ConfigError


def _packaged(package: str, *parts: str) -> Path:
    return Path(str(resources.files(package).joinpath(*parts)))


def prompts_dir() -> Path:
    """The shipped prompt templates: ``contentgen/prompts`` in a wheel, ``prompts/`` in a checkout."""
    installed = _packaged("contentgen", "prompts")
    if installed.is_dir():
        return installed
    checkout = _packaged("contentgen").parent / "prompts"
    if checkout.is_dir() and (checkout.parent / "pyproject.toml").is_file():
        return checkout
    raise ConfigError(
        f"no prompt templates shipped with contentgen (looked in {installed} and {checkout}); "
        "reinstall contentgen, or set templates.folder in contentgen.toml to a folder of .j2 files"
    )


def mappings_dir() -> Path:
    return _packaged("contentgen.data", "mappings")


def mapping_names() -> tuple[str, ...]:
    """Names of the shipped column mappings, e.g. ("online_retail",)."""
    return tuple(sorted(p.stem for p in mappings_dir().glob("*.toml")))


def shipped_mapping(name: str) -> Path:
    """The shipped mapping file called ``name``."""
    path = mappings_dir() / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"no shipped mapping {name!r}; shipped ones: {', '.join(mapping_names())}, or give a mapping file's path")
    return path


def default_offers_path() -> Path:
    return _packaged("contentgen.offers", "default_offers.yaml")


def demo_data_dir() -> Path:
    """The bundled demo slice of the UCI Online Retail shop (CC BY 4.0, see its README)."""
    return _packaged("contentgen.data", "demo")


def demo_project_path() -> Path:
    """The demo shop's commented project file, which ``contentgen init`` writes out."""
    return _packaged("contentgen.data", "demo", "contentgen.toml")
