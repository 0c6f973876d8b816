"""Editing a project file's brand voice, shop policy and offer rules (the workspace's Settings tab).

Pure functions over the files' text, so the app only shows and collects values:

- ``open_settings(project, workspace)`` reads what to edit and decides where a save writes. The
  shipped demo project and default offers (package data) are never written: their save goes to a
  copy in the workspace folder, with relative paths rewritten so the copy names the same data,
  index and store.
- ``draft_settings(files, voice, policy, offers_text)`` writes the new [voice] and [policy] values
  into the project text with tomlkit, keeping its comments and layout.
- ``check_settings(files, draft)`` validates the draft with the project loader's own validation
  (``project.parse_project``: unknown keys refused, each error naming the key and the fix) and the
  offer rules loader's (``offers.rules.read_offer_rules``: errors naming the offer and the field).
- ``save_settings(files, draft)`` checks, then writes each file atomically (temp file + os.replace).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
import logging
import os
from pathlib import Path
import tempfile
import tomllib
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

import contentgen
from contentgen import resources
from contentgen.errors import ConfigError
from contentgen.project import (
    NAMED_DATA,
    PROJECT_FILE,
    IndexTable,
    PolicyTable,
    Project,
    StoreTable,
    VoiceTable,
    load_project,
    parse_project,
)

log = logging.getLogger(__name__)

VOICE_KEYS: tuple[str, ...] = tuple(VoiceTable.model_fields)
POLICY_KEYS: tuple[str, ...] = tuple(PolicyTable.model_fields)
OFFERS_FILE = "offers.yaml"  # the name an edited copy of the shipped offer rules gets beside the project file

# (table, key) of every value the project resolves as a path against its folder, with its default
_PATH_KEYS: tuple[tuple[str, str], ...] = (
    ("data", "folder"), ("data", "mapping"), ("offers", "file"), ("templates", "folder"),
    ("store", "url"), ("index", "folder"), ("index", "cache"), ("campaign", "suppression"),
)


def is_protected(path: Path | None) -> bool:
    """Whether ``path`` is shipped with contentgen (None: the demo project), so it is never written."""
    if path is None:
        return True
    package = Path(contentgen.__file__).resolve().parent
    return Path(path).resolve().is_relative_to(package)


@dataclass(frozen=True)
class SettingsFiles:
    """The project file and offer rules as read for editing, and where a save writes them."""

    project_text: str
    offers_text: str
    source: Path | None  # the project file read; None = the shipped demo project
    root: Path  # the folder the source's relative paths resolve against
    offers_source: Path  # the offer rules read (the shipped default when the project names none)
    target: Path  # where a save writes the project file
    offers_target: Path  # where a save writes edited offer rules

    @property
    def copying(self) -> bool:
        """Whether a save writes a copy (the source is shipped with contentgen) instead of the source."""
        return self.source is None or self.target.resolve() != self.source.resolve()

    @property
    def label(self) -> str:
        return str(self.source) if self.source is not None else "the demo project (shipped with contentgen)"

    def voice(self) -> VoiceTable:
        return VoiceTable.model_validate(_tables(self.project_text).get("voice", {}))

    def policy(self) -> PolicyTable:
        return PolicyTable.model_validate(_tables(self.project_text).get("policy", {}))


@dataclass(frozen=True)
class SettingsDraft:
    """The files a save would write: the project text and, when edited, the offer rules."""

    project_text: str
    offers_text: str
    offers_edited: bool


@dataclass(frozen=True)
class SettingsCheck:
    """The outcome of validating a draft: the validated project and rules, or the problems."""

    problems: tuple[str, ...]  # each "where: what is wrong; fix: ..."; empty = valid
    project: Project | None = None
    offers: Any = None  # contentgen.offers.rules.OfferRules

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class SavedSettings:
    project: Project  # the saved project file, loaded as the next start will load it
    files: SettingsFiles  # the saved files, reopened for further edits
    written: tuple[Path, ...]


def open_settings(project: str | Path | None, workspace: str | Path) -> SettingsFiles:
    """The project file (None: the shipped demo project) and its offer rules, read for editing.

    A shipped file is never written: saving writes ``<workspace>/contentgen.toml`` (and
    ``<workspace>/offers.yaml`` when the shipped offer rules were edited) instead.
    """
    workspace = Path(workspace)
    source = Path(project) if project is not None else None
    path = source if source is not None else resources.demo_project_path()
    if not path.is_file():
        raise ConfigError(f"{path}: no such project file; fix: write one with `contentgen init --out {path}`")
    text = path.read_text(encoding="utf-8")
    # the demo project's relative paths resolve against the current folder (see project.demo_project)
    root = source.resolve().parent if source is not None else Path.cwd()
    target = workspace / PROJECT_FILE if is_protected(source) else source
    offers_file = str(_tables(text).get("offers", {}).get("file", "") or "")
    offers_source = _resolve(offers_file, root) if offers_file else resources.default_offers_path()
    if not offers_source.is_file():
        raise ConfigError(f"{path}: offers.file: {offers_source} does not exist; fix: give the offer rules YAML's "
                          "path, or \"\" for the shipped rules")
    offers_target = target.parent / OFFERS_FILE if is_protected(offers_source) else offers_source
    return SettingsFiles(text, offers_source.read_text(encoding="utf-8"), source, root, offers_source, target,
                         offers_target)


def words(text: str | None) -> list[str]:
    """A comma-separated list as typed in a form ("cheap, free money") as a list of words."""
    return [word.strip() for word in str(text or "").split(",") if word.strip()]


def number(text: str | float | None) -> float | str | None:
    """A number as typed in a form: blank is None (not said), else a float, else the text (validation names it)."""
    if text is None or isinstance(text, (int, float)):
        return text
    text = str(text).strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def draft_settings(
    files: SettingsFiles,
    voice: Mapping[str, Any] | None = None,
    policy: Mapping[str, Any] | None = None,
    offers_text: str | None = None,
) -> SettingsDraft:
    """The project text with new [voice] and [policy] values (comments kept) and the offer rules.

    A value of None removes its key (for the policy: "the shop has not said"); keys left out keep
    their value. Keys are not checked here, ``check_settings`` does that.
    """
    text = edit_project(files.project_text, voice=voice, policy=policy)
    if files.copying:
        text = relocate(text, files.root, files.target.parent)
    offers_text = files.offers_text if offers_text is None else offers_text
    edited = _normalised(offers_text) != _normalised(files.offers_text)
    if edited and files.offers_target != files.offers_source:
        # the edited shipped rules are saved beside the project file: point the project at them
        text = edit_project(text, offers={"file": os.path.relpath(files.offers_target, files.target.parent)})
    return SettingsDraft(text, offers_text, edited)


def edit_project(text: str, **tables: Mapping[str, Any] | None) -> str:
    """``text`` with the given keys of each table set (None removes a key), comments and layout kept."""
    document = _parse(text)
    for name, values in tables.items():
        if values is None:
            continue
        table = document.get(name)
        if table is None:
            table = tomlkit.table()
            document.add(name, table)
        for key, value in values.items():
            if value is None:
                if key in table:
                    del table[key]
                continue
            value = list(value) if isinstance(value, (tuple, list)) else value
            current = table.get(key)
            if current is None or _plain(current) != value:  # untouched values keep their formatting
                table[key] = value
    return tomlkit.dumps(document)


def relocate(text: str, old_root: Path, new_root: Path) -> str:
    """``text`` with every relative path rewritten to name the same place from ``new_root``."""
    document = _parse(text)
    # a key left out takes its default, itself relative (the index folder): write it out too
    defaults = {("store", "url"): StoreTable().url, ("index", "folder"): IndexTable().folder,
                ("index", "cache"): IndexTable().cache}
    for table_name, key in _PATH_KEYS:
        table = document.get(table_name)
        value = _plain(table[key]) if table is not None and key in table else defaults.get((table_name, key), "")
        if not _relative_path(table_name, key, value):
            continue
        moved = os.path.relpath(Path(old_root).resolve() / value, Path(new_root).resolve())
        if table is None:
            table = tomlkit.table()
            document.add(table_name, table)
        table[key] = moved
    return tomlkit.dumps(document)


def check_settings(files: SettingsFiles, draft: SettingsDraft) -> SettingsCheck:
    """Validate a draft as the next start would load it: project file, then offer rules."""
    from contentgen.offers.rules import read_offer_rules

    problems: list[str] = []
    project = offers = None
    try:
        project = parse_project(draft.project_text, root=files.target.resolve().parent, source=files.target,
                                label="project file", offers_file_pending=draft.offers_edited)
    except ConfigError as error:
        problems += [f"project file: {problem}" if not problem.startswith("project file") else problem
                     for problem in error.problems]
    try:
        offers = read_offer_rules(draft.offers_text, source="offers")
    except ConfigError as error:
        problems += [f"offers: {problem}" for problem in error.problems]
    return SettingsCheck(tuple(problems), project, offers)


def save_settings(files: SettingsFiles, draft: SettingsDraft) -> SavedSettings:
    """Check the draft, then write the offer rules (when edited) and the project file atomically."""
    for path in (files.target, files.offers_target):
        if is_protected(path):
            raise ConfigError(f"{path} is shipped with contentgen and is never overwritten; fix: save into a "
                              "workspace folder (open_settings picks one)")
    checked = check_settings(files, draft)
    if not checked.ok:
        raise ConfigError("settings not saved: " + "; ".join(checked.problems), problems=checked.problems)
    written = []
    if draft.offers_edited:
        written.append(atomic_write(files.offers_target, draft.offers_text))
    written.append(atomic_write(files.target, draft.project_text))
    project = load_project(files.target)
    log.info("saved settings to %s", ", ".join(map(str, written)))
    reopened = replace(files, project_text=draft.project_text, offers_text=draft.offers_text, source=files.target,
                       root=files.target.resolve().parent,
                       offers_source=files.offers_target if draft.offers_edited else files.offers_source)
    return SavedSettings(project, reopened, tuple(written))


def atomic_write(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` so a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


# -- helpers ----------------------------------------------------------------------------------


def _parse(text: str):
    try:
        return tomlkit.parse(text)
    except TOMLKitError as error:
        raise ConfigError(f"project file: not valid TOML: {error}; fix: correct the syntax at that line",
                          problems=[f"not valid TOML: {error}; fix: correct the syntax at that line"]) from None


def _tables(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"project file: not valid TOML: {error}; fix: correct the syntax at that line") from None


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _resolve(value: str, root: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def _relative_path(table: str, key: str, value: Any) -> bool:
    """Whether a project value is a path resolved against the project's folder."""
    if not isinstance(value, str) or not value or Path(value).expanduser().is_absolute():
        return False
    if (table, key) == ("data", "folder"):
        return value not in NAMED_DATA
    if (table, key) == ("data", "mapping"):  # a shipped mapping's name is not a path
        return "/" in value or "\\" in value or Path(value).suffix.lower() in (".toml", ".yaml", ".yml")
    if (table, key) == ("store", "url"):
        return "://" not in value
    return True


def _normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in str(text).replace("\r\n", "\n").strip().splitlines())
