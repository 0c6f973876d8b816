"""The project file ``contentgen.toml``: one shop's data, voice, policy, offers, templates and models.

``load_project(path)`` reads and validates one (``None``: ``./contentgen.toml`` when present,
else the shipped demo project); ``Project.service_settings()`` turns it into what
``ContentService`` needs, and ``ContentService.from_project(project)`` builds the service.
Relative paths resolve against the project file's folder (the current folder for the demo
project). Every table forbids unknown keys, and every error names the key and the fix.
"""

from __future__ import annotations

from datetime import date
import difflib
import logging
from pathlib import Path
import tomllib
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from contentgen import resources
from contentgen.brief import LANGUAGES, BrandVoice
from contentgen.errors import ConfigError
from contentgen.policy import MAX_SMS_PARTS, ShopPolicy

if TYPE_CHECKING:  # pragma: no cover
    from contentgen.data.schema import Shop
    from contentgen.service import ServiceSettings

log = logging.getLogger(__name__)

PROJECT_FILE = "contentgen.toml"
# --data values that name a shipped or known shop instead of a folder
NAMED_DATA = ("demo", "real")


class _Table(BaseModel):
    # extra="forbid": a misspelt key ("tone_of_voice") fails loudly instead of being ignored
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataTable(_Table):
    """Where the shop's exports are and how their columns map onto contentgen's."""

    folder: str = Field(min_length=1)  # "demo", "real" or a folder
    mapping: str = Field(default="online_retail", min_length=1)  # a shipped mapping's name or a file


class VoiceTable(_Table):
    """How the shop speaks (``contentgen.brief.BrandVoice``)."""

    name: str = Field(default=BrandVoice.name, min_length=1)
    tone: str = BrandVoice.tone
    use_words: tuple[str, ...] = ()
    avoid_words: tuple[str, ...] = BrandVoice.avoid_words
    postal_address: str = ""
    link_template: str = ""
    unsubscribe_link_template: str = ""
    # the model's words respelt to the shop's English ("cozy" -> "cosy"); "" = as the model writes them
    spelling: Literal["british", "american", ""] = ""

    def brand_voice(self) -> BrandVoice:
        return BrandVoice(**self.model_dump())


class PolicyTable(_Table):
    """What the shop offers (``contentgen.policy.ShopPolicy``); a key left out means "not said"."""

    description: str = ""
    free_shipping_threshold: float | None = Field(default=None, ge=0)
    stores: bool = False
    pickup: bool = False
    handmade_lines: tuple[str, ...] = ()
    delivery_times: str = ""
    cleared_products: tuple[str, ...] = ()
    # whose seasons the send date falls in; "" = not stated, so seasons in the copy go unchecked
    hemisphere: Literal["north", "south", ""] = ""
    # SMS parts a message may use per language, e.g. {zh = 1}: ShopPolicy.sms_parts checks the values
    sms_parts: dict[Literal[LANGUAGES], Annotated[int, Field(ge=1, le=MAX_SMS_PARTS)]] = {}

    def shop_policy(self) -> ShopPolicy:
        values = self.model_dump()
        return ShopPolicy(**{**values, "sms_parts": tuple(sorted(values["sms_parts"].items()))})


class OffersTable(_Table):
    file: str = ""  # offer rules YAML; empty = the shipped default rules


class TemplatesTable(_Table):
    folder: str = ""  # a folder of *.j2 prompt templates; empty = the shipped ones


class ExemplarsTable(_Table):
    """The approved-copy library: few-shot examples for the prompt (contentgen/generate/exemplars.py)."""

    approved: str = ""  # the shop's file (JSON lines), grown by the workspace's approve button; "" = none
    seed: str = ""  # read-only examples to start from: "demo" (the demo shop's, by the contentgen team) or a path


class ModelTable(_Table):
    backend: Literal["auto", "llamacpp", "transformers", "echo"] = "auto"
    name: str = Field(default="qwen2.5-coder-1.5b", min_length=1)
    embedding: str = Field(default="all-MiniLM-L6-v2", min_length=1)
    content: bool = True  # blend the content signal into the recommendations
    # the reader model that ranks passing candidates: "packaged" (fitted on the team's blind reads,
    # contentgen/generate/reader_model.py), a model file the shop fitted, or "" for none
    reader: str = "packaged"
    # keep only passing candidates the reader model gives at least this chance a reader would send
    # them as they are (0 = all; higher: more of the shop's fixed fallback text, less doubtful copy)
    reader_min: float = Field(default=0.0, ge=0.0, lt=1.0)
    # keep a failing candidate on its leading sentences where they pass every check: 1 fallback in 240
    # variants on draws 111-115 against 22 of 228, as many sent as they are (bench/RESULTS.md,
    # "Trimming on by default"); false: every failing candidate is dropped whole
    trim_sentences: bool = True


class StoreTable(_Table):
    url: str = Field(default="contentgen.db", min_length=1)  # SQLite path or SQLAlchemy URL


class IndexTable(_Table):
    folder: str = Field(default="indexes/default", min_length=1)  # saved index + fitted recommender
    cache: str = Field(default="indexes/.cache", min_length=1)  # embedding cache


class CampaignTable(_Table):
    """Message settings of a campaign, and the defaults of ``contentgen campaign run`` (its options override)."""

    variants: int = Field(default=3, ge=1)
    candidates: int = Field(default=6, ge=1)
    recommendations: int = Field(default=3, ge=1)
    send_date: date | None = None  # None = the day after the last event
    # list runs (contentgen.campaign.CampaignSettings); unset = that command's own default
    channel: Literal["email", "sms", "push"] | None = None
    esp: Literal["generic", "mailchimp", "klaviyo"] | None = None
    cohort: Literal["auto", "segment", "interest", "recipient"] | None = None
    engine: Literal["local", "ray"] | None = None
    formats: tuple[Literal["csv", "jsonl", "parquet"], ...] | None = None
    suppression: str = ""  # a file of addresses never to send to (relative to the project file)
    audience_mapping: dict[str, str] = Field(default_factory=dict)  # our field -> the audience file's header


class Project(_Table):
    """One shop's project file, validated. Build with ``load_project``."""

    data: DataTable
    voice: VoiceTable = VoiceTable()
    policy: PolicyTable = PolicyTable()
    offers: OffersTable = OffersTable()
    templates: TemplatesTable = TemplatesTable()
    exemplars: ExemplarsTable = ExemplarsTable()
    model: ModelTable = ModelTable()
    store: StoreTable = StoreTable()
    index: IndexTable = IndexTable()
    campaign: CampaignTable = CampaignTable()

    # where relative paths resolve, and the file it came from (None: the shipped demo project)
    _root: Path = PrivateAttr(default_factory=Path.cwd)
    _source: Path | None = PrivateAttr(default=None)

    @property
    def root(self) -> Path:
        return self._root

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def label(self) -> str:
        """How errors name this project: its file, or "demo project"."""
        return str(self._source) if self._source is not None else f"demo project ({resources.demo_project_path()})"

    # -- resolved paths ------------------------------------------------------------------------

    def path(self, value: str) -> Path:
        """``value`` as a path, relative ones against the project file's folder."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self._root / path

    def data_folder(self) -> Path:
        if self.data.folder == "demo":
            return resources.demo_data_dir()
        if self.data.folder == "real":
            from contentgen.data.loader import REAL_DATA_DIR

            return REAL_DATA_DIR
        return self.path(self.data.folder)

    def mapping_file(self) -> Path:
        if _is_path(self.data.mapping):
            return self.path(self.data.mapping)
        return resources.shipped_mapping(self.data.mapping)

    def offers_file(self) -> Path | None:
        return self.path(self.offers.file) if self.offers.file else None

    def templates_folder(self) -> Path | None:
        return self.path(self.templates.folder) if self.templates.folder else None

    def approved_copy_file(self) -> Path | None:
        return self.path(self.exemplars.approved) if self.exemplars.approved else None

    def approved_seed_file(self) -> Path | None:
        if self.exemplars.seed == "demo":
            from contentgen.generate.exemplars import SEED_LIBRARY

            return SEED_LIBRARY
        return self.path(self.exemplars.seed) if self.exemplars.seed else None

    def reader_model(self) -> str:
        """"packaged", "" (none) or the path of a shop's reader model file."""
        value = self.model.reader.strip()
        return value if value in ("packaged", "") else str(self.path(value))

    def suppression_file(self) -> Path | None:
        return self.path(self.campaign.suppression) if self.campaign.suppression else None

    def campaign_run_defaults(self) -> dict[str, Any]:
        """The [campaign] keys a list run takes (``CampaignSettings`` fields), those the file sets."""
        table = self.campaign
        chosen: dict[str, Any] = {name: getattr(table, name) for name in ("channel", "esp", "cohort", "engine", "formats")
                                  if getattr(table, name) is not None}
        if table.audience_mapping:
            chosen["audience_mapping"] = dict(table.audience_mapping)
        if table.suppression:
            chosen["suppression"] = self.suppression_file()
        return chosen

    def index_folder(self) -> Path:
        return self.path(self.index.folder)

    def cache_folder(self) -> Path:
        return self.path(self.index.cache)

    def store_url(self) -> str:
        # a bare file name is an SQLite file next to the project file, not in whatever folder the
        # command happens to run from
        return self.store.url if "://" in self.store.url else str(self.path(self.store.url))

    # -- what the project builds ------------------------------------------------------------

    def load_shop(self, on_invalid: str | None = None) -> "Shop":
        """The shop this project's [data] table names, loaded and cleaned."""
        from contentgen.data import load_shop

        return load_shop(self.mapping_file(), self.data_folder(), on_invalid=on_invalid)

    def service_settings(self) -> "ServiceSettings":
        """The ``ServiceSettings`` this project describes."""
        from contentgen.service import ServiceSettings

        return ServiceSettings(
            offers_path=self.offers_file(),
            generator_backend=self.model.backend,
            generator_model=self.model.name,
            variants=self.campaign.variants,
            candidates=self.campaign.candidates,
            recommendations=self.campaign.recommendations,
            voice=self.voice.brand_voice(),
            send_date=self.campaign.send_date,
            content=self.model.content,
            embedding_model=self.model.embedding,
            embedding_cache=self.cache_folder(),
            policy=self.policy.shop_policy(),
            store_url=self.store_url(),
            index_dir=self.index_folder(),
            templates_dir=self.templates_folder(),
            approved_copy=self.approved_copy_file(),
            approved_seed=self.approved_seed_file(),
            reader_model=self.reader_model(),
            reader_min=self.model.reader_min,
            trim_sentences=self.model.trim_sentences,
        )

    def with_overrides(
        self,
        *,
        data: str | None = None,
        mapping: str | Path | None = None,
        backend: str | None = None,
        model: str | None = None,
    ) -> "Project":
        """This project with command-line overrides (paths relative to the current folder)."""
        update: dict[str, dict[str, Any]] = {}
        if data is not None and data != self.data.folder:
            update.setdefault("data", {})["folder"] = data if data in NAMED_DATA else str(Path(data).resolve())
            # another shop's data gets its own index beside this one's (indexes/<data name>), so
            # the two never overwrite each other's saved index and recommender
            folder = Path(self.index.folder)
            update["index"] = {"folder": str(folder.parent / (Path(data).resolve().name if data not in NAMED_DATA else data))}
        if mapping is not None:
            update.setdefault("data", {})["mapping"] = str(Path(mapping).resolve())
        if backend is not None:
            update.setdefault("model", {})["backend"] = backend
        if model is not None:
            update.setdefault("model", {})["name"] = model
        if not update:
            return self
        # validated like the file, so a bad override fails with the key it set
        overridden = _validate(_merge(self.model_dump(), update), self.label, self._root, self._source)
        _check_paths(overridden)
        return overridden


# -- loading ----------------------------------------------------------------------------------


def load_project(path: str | Path | None = None) -> Project:
    """Read and validate a project file; ``None``: ./contentgen.toml when present, else the demo project."""
    if path is None:
        local = Path(PROJECT_FILE)
        if local.is_file():
            path = local
        else:
            return demo_project()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such project file; fix: write one with `contentgen init --out {path}`, "
            "or leave out --project to use ./contentgen.toml (or the demo project)"
        )
    return _read(path, root=path.resolve().parent, source=path)


def demo_project(root: str | Path | None = None) -> Project:
    """The shipped demo shop's project; relative paths (index, store) resolve against ``root`` (default: cwd)."""
    return _read(resources.demo_project_path(), root=Path(root) if root is not None else Path.cwd(), source=None)


def project_template() -> str:
    """The commented demo project file that ``contentgen init`` writes."""
    return resources.demo_project_path().read_text(encoding="utf-8")


def write_project_template(out: str | Path = PROJECT_FILE, *, force: bool = False) -> Path:
    """Write the commented demo project file to ``out``; refuses to overwrite unless ``force``."""
    out = Path(out)
    if out.exists() and not force:
        raise ConfigError(f"{out} already exists; fix: pass --force to overwrite it, or --out another file")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(project_template(), encoding="utf-8")
    return out


def _read(path: Path, *, root: Path, source: Path | None) -> Project:
    label = str(source) if source is not None else f"demo project ({path})"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{label}: not UTF-8 text ({error}); fix: save the file as UTF-8") from None
    return parse_project(text, root=root, source=source, label=label)


def parse_project(
    text: str, *, root: Path, source: Path | None = None, label: str | None = None, offers_file_pending: bool = False
) -> Project:
    """Validate a project file's text as ``load_project`` does (relative paths against ``root``).

    ``offers_file_pending``: the [offers] file is about to be written, so it need not exist yet.
    """
    label = label or (str(source) if source is not None else "project file")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = f"not valid TOML: {error}; fix: correct the syntax at that line"
        raise ConfigError(f"{label}: {message}", problems=[message]) from None
    project = _validate(raw, label, root, source)
    _check_paths(project, offers=not offers_file_pending)
    return project


def _validate(raw: dict, label: str, root: Path, source: Path | None) -> Project:
    try:
        project = Project.model_validate(raw)
    except ValidationError as error:
        problems = _problems(error)
        raise ConfigError(f"{label}: " + f"\n{label}: ".join(problems), problems=problems) from None
    project._root = root
    project._source = source
    return project


def _merge(base: dict, update: dict) -> dict:
    merged = dict(base)
    for key, value in update.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def _is_path(value: str) -> bool:
    return "/" in value or "\\" in value or Path(value).suffix.lower() in (".toml", ".yaml", ".yml")


def _model_at(location: tuple) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Project
    for part in location:
        field = model.model_fields.get(str(part)) if model is not None else None
        annotation = field.annotation if field is not None else None
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return model


def _fix(error: dict) -> str:
    kind, location = error["type"], error["loc"]
    if kind == "extra_forbidden":
        parent = _model_at(location[:-1])
        known = list(parent.model_fields) if parent is not None else []
        close = difflib.get_close_matches(str(location[-1]), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"{hint}remove it; the keys here are: {', '.join(known)}"
    if kind == "missing":
        return "add it (`contentgen init` writes an example of every key)"
    if kind == "model_type":
        return f"write [{'.'.join(map(str, location))}] as a table of keys"
    if kind == "literal_error":
        return f"use {error.get('ctx', {}).get('expected', 'one of the listed values')}"
    if kind.startswith(("string", "int", "float", "bool", "tuple", "list", "date")):
        wanted = kind.split("_")[0].replace("tuple", "list").replace("int", "whole number").replace("float", "number")
        return f"give a {wanted} (`contentgen init` writes an example)"
    if kind.startswith(("greater", "less")):
        return "change the value to be within the limit"
    return "correct the value (`contentgen init` writes an example)"


def _problems(error: ValidationError) -> list[str]:
    """One "key: what is wrong (got value); fix: ..." line per problem."""
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        value = "" if item["type"] in ("missing", "extra_forbidden") else f" (got {item['input']!r})"
        problems.append(f"{key}: {item['msg']}{value}; fix: {_fix(item)}")
    return problems


def _check_paths(project: Project, *, offers: bool = True) -> None:
    """The files and folders the project names must exist (the index folder is made when needed)."""
    label = project.label
    folder = project.data_folder()
    if not folder.is_dir():
        meaning = f" ('{project.data.folder}' means {folder})" if project.data.folder in NAMED_DATA else ""
        raise ConfigError(
            f"{label}: data.folder: {folder}{meaning} is not a folder; fix: point it at the folder "
            "holding the shop's export files, or use \"demo\""
        )
    if _is_path(project.data.mapping):
        if not project.mapping_file().is_file():
            raise ConfigError(
                f"{label}: data.mapping: {project.mapping_file()} does not exist; fix: give the path of your "
                f"mapping file, or a shipped mapping's name ({', '.join(resources.mapping_names())})"
            )
    elif project.data.mapping not in resources.mapping_names():
        raise ConfigError(
            f"{label}: data.mapping: no shipped mapping {project.data.mapping!r}; fix: use one of "
            f"{', '.join(resources.mapping_names())}, or the path of a .toml/.yaml mapping file"
        )
    offers_file = project.offers_file() if offers else None
    if offers_file is not None and not offers_file.is_file():
        raise ConfigError(f"{label}: offers.file: {offers_file} does not exist; fix: give the offer rules YAML's path, or \"\" for the shipped rules")
    suppression = project.suppression_file()
    if suppression is not None and not suppression.is_file():
        raise ConfigError(f"{label}: campaign.suppression: {suppression} does not exist; fix: give the suppression "
                          "file's path (a column of addresses, or one per line), or \"\" for none")
    reader = project.reader_model()
    if reader not in ("packaged", "") and not Path(reader).is_file():
        raise ConfigError(f"{label}: model.reader: {reader} does not exist; fix: give the path of a reader model file "
                          "(contentgen.generate.reader_model.fit_reader_model), \"packaged\" for the shipped one, or \"\" for none")
    templates = project.templates_folder()
    if templates is not None and (not templates.is_dir() or not any(templates.glob("*.j2"))):
        raise ConfigError(
            f"{label}: templates.folder: {templates} is not a folder of .j2 templates; fix: point it at one, "
            "or \"\" for the shipped templates"
        )
