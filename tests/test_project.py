"""The project file: `contentgen init` writes one that loads back, errors name the key and the fix,
relative paths follow the file, and every command reads it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contentgen.cli import app
from contentgen.errors import ConfigError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.project import demo_project, load_project
from contentgen.resources import demo_data_dir
from contentgen.service import ContentService


def _write(folder: Path, text: str) -> Path:
    path = folder / "contentgen.toml"
    path.write_text(text, encoding="utf-8")
    return path


# a small shop of its own: the demo exports copied into the project's folder, fast settings
OWN_SHOP = """
[data]
folder = "exports"
mapping = "online_retail"

[voice]
name = "Acme Candles"
tone = "calm"
avoid_words = ["cheap"]
postal_address = "1 Wick Lane, Leeds"

[policy]
free_shipping_threshold = 40
stores = true

[model]
backend = "echo"
embedding = "hash"
content = false

[index]
folder = "state/index"
cache = "state/cache"

[store]
url = "campaigns.db"

[campaign]
variants = 1
recommendations = 2
"""


@pytest.fixture()
def own_shop(tmp_path) -> Path:
    shutil.copytree(demo_data_dir(), tmp_path / "shop" / "exports")
    return _write(tmp_path / "shop", OWN_SHOP)


def test_init_writes_the_demo_project_and_it_loads_back_identically(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    written = load_project(tmp_path / "contentgen.toml")
    demo = demo_project(tmp_path)
    assert written.model_dump() == demo.model_dump()
    assert written.service_settings() == demo.service_settings()  # every resolved path too
    assert written.voice.name == "The Gift Shop" and written.data.folder == "demo"
    assert "# " in (tmp_path / "contentgen.toml").read_text()  # commented for the person editing it
    # ./contentgen.toml is now the default project
    assert load_project(None).source == Path("contentgen.toml")


def test_init_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "p.toml"
    out.write_text("# mine\n")
    result = CliRunner().invoke(app, ["init", "--out", str(out)])
    assert result.exit_code != 0 and "already exists" in str(result.exception)
    assert out.read_text() == "# mine\n"
    assert CliRunner().invoke(app, ["init", "--out", str(out), "--force"]).exit_code == 0
    assert load_project(out).voice.name == "The Gift Shop"


def test_without_a_project_file_the_demo_project_is_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = load_project(None)
    assert project.source is None and project.voice.name == "The Gift Shop"
    assert project.index_folder() == tmp_path / "indexes" / "demo"


def test_the_demo_shop_is_in_the_northern_hemisphere_so_its_seasons_are_checked(tmp_path):
    assert demo_project(tmp_path).service_settings().policy.hemisphere == "north"  # a UK shop


def test_a_shop_sets_the_sms_parts_it_pays_for_per_language_over_the_defaults(tmp_path):
    from contentgen.generate.guardrails import GuardrailSettings, sms_parts_for, with_shop_sms_parts
    from contentgen.policy import ShopPolicy

    assert demo_project(tmp_path).service_settings().policy.sms_parts == ()  # the product's defaults
    policy = load_project(_write(tmp_path, '[data]\nfolder = "demo"\n[policy]\nsms_parts = {zh = 1}\n')).service_settings().policy
    assert policy.sms_parts == (("zh", 1),)
    settings = with_shop_sms_parts(GuardrailSettings(), policy)
    assert (sms_parts_for("sms", "zh", settings), sms_parts_for("sms", "en", settings)) == (1, 1)
    assert sms_parts_for("sms", "zh", GuardrailSettings()) == 2
    with pytest.raises(ConfigError, match=r"sms_parts for 'zh' is 9; fix: a whole number of parts from 1 to 4"):
        ShopPolicy(sms_parts=(("zh", 9),))  # the Python API checks as the project file does
    with pytest.raises(ConfigError, match=r"sms_parts has a language 'fr'.*fix: use 'en' or 'zh'"):
        ShopPolicy(sms_parts=(("fr", 1),))


def test_the_demo_shop_spells_british_and_a_project_may_say_american_or_nothing(tmp_path):
    assert demo_project(tmp_path).service_settings().voice.spelling == "british"  # a UK shop
    us = _write(tmp_path, '[data]\nfolder = "demo"\n[voice]\nspelling = "american"\n')
    assert load_project(us).service_settings().voice.spelling == "american"
    assert load_project(_write(tmp_path, '[data]\nfolder = "demo"\n')).service_settings().voice.spelling == ""


def test_the_reader_model_is_the_packaged_one_none_or_a_file_next_to_the_project(tmp_path):
    from contentgen.generate.reader_model import load_reader_model

    assert demo_project(tmp_path).service_settings().reader_model == "packaged"
    off = _write(tmp_path, '[data]\nfolder = "demo"\n[model]\nreader = ""\n')
    assert load_project(off).service_settings().reader_model == ""
    own = _write(tmp_path, '[data]\nfolder = "demo"\n[model]\nreader = "models/reader.json"\n')
    with pytest.raises(ConfigError, match=r"model.reader: .*reader.json does not exist; fix"):
        load_project(own)
    (tmp_path / "models").mkdir()
    load_reader_model().save(tmp_path / "models" / "reader.json")
    assert load_project(own).service_settings().reader_model == str(tmp_path.resolve() / "models" / "reader.json")
    gated = _write(tmp_path, '[data]\nfolder = "demo"\n[model]\nreader_min = 0.15\n')
    assert load_project(gated).service_settings().reader_min == 0.15
    with pytest.raises(ConfigError, match="model.reader_min"):
        load_project(_write(tmp_path, '[data]\nfolder = "demo"\n[model]\nreader_min = 1.5\n'))
    assert demo_project(tmp_path).service_settings().trim_sentences is True
    whole = _write(tmp_path, '[data]\nfolder = "demo"\n[model]\ntrim_sentences = false\n')
    assert load_project(whole).service_settings().trim_sentences is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[data]\nfolder = "demo"\n[voice]\ntone = 3\n', r"contentgen.toml: voice.tone: .*got 3.*; fix: give a string"),
        ('[data]\nfolder = "demo"\n[voice]\ntones = "calm"\n', r"voice.tones: .*fix: did you mean 'tone'\?"),
        ('[data]\nfolder = "demo"\n[model]\nbackend = "gpt"\n', r"model.backend: .*'gpt'.*fix: use 'auto', 'llamacpp'"),
        ('[voice]\nname = "x"\n', r"contentgen.toml: data: Field required; fix: add it"),
        ('[data]\nfolder = "demo"\n[campaign]\nvariants = 0\n', r"campaign.variants: .*fix: change the value"),
        ('[data]\nfolder = "demo"\n[policy]\nfree_shipping_threshold = "soon"\n', r"policy.free_shipping_threshold: .*'soon'"),
        ('[data]\nfolder = "demo"\n[policy]\nhemisphere = "northern"\n', r"policy.hemisphere: .*'northern'.*fix: use 'north', 'south'"),
        ('[data]\nfolder = "demo"\n[policy]\nsms_parts = {fr = 1}\n', r"policy.sms_parts.fr.\[key\]: .*'fr'.*fix: use 'en' or 'zh'"),
        ('[data]\nfolder = "demo"\n[policy]\nsms_parts = {zh = 0}\n', r"policy.sms_parts.zh: .*got 0.*fix: change the value"),
        ('[data]\nfolder = "demo"\n[voice]\nspelling = "uk"\n', r"voice.spelling: .*'uk'.*fix: use 'british', 'american'"),
        ('[data]\nfolder = "nowhere"\n', r"data.folder: .*nowhere is not a folder; fix: point it at the folder"),
        ('[data]\nfolder = "demo"\nmapping = "shopify"\n', r"data.mapping: no shipped mapping 'shopify'; fix: use one of online_retail"),
        ('[data]\nfolder = "demo"\nmapping = "maps/mine.toml"\n', r"data.mapping: .*mine.toml does not exist"),
        ('[data]\nfolder = "demo"\n[offers]\nfile = "offers.yaml"\n', r"offers.file: .*offers.yaml does not exist"),
        ('[data]\nfolder = "demo"\n[templates]\nfolder = "."\n', r"templates.folder: .* is not a folder of .j2 templates"),
        ('[data\nfolder = "demo"\n', r"contentgen.toml: not valid TOML: .*line 1.*; fix: correct the syntax"),
        ('data = "demo"\n', r"data: .*fix: write \[data\] as a table"),
    ],
)
def test_a_bad_project_file_names_the_key_and_the_fix(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_project(path)


def test_a_missing_project_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match=r"no such project file; fix: write one with `contentgen init --out"):
        load_project(tmp_path / "nope.toml")


def test_relative_paths_resolve_against_the_project_folder(own_shop, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the project's folder
    project = load_project(own_shop)
    folder = own_shop.parent.resolve()
    assert project.data_folder() == folder / "exports"
    settings = project.service_settings()
    assert settings.index_dir == folder / "state" / "index"
    assert settings.embedding_cache == folder / "state" / "cache"
    assert settings.store_url == str(folder / "campaigns.db")
    assert settings.voice.name == "Acme Candles" and settings.voice.postal_address == "1 Wick Lane, Leeds"
    assert settings.policy.free_shipping_threshold == 40 and settings.policy.stores
    assert (settings.variants, settings.recommendations, settings.generator_backend) == (1, 2, "echo")
    assert settings.templates_dir is None and settings.offers_path is None  # the shipped ones


def test_overrides_are_validated_and_move_the_index(own_shop):
    project = load_project(own_shop)
    demo = project.with_overrides(data="demo", backend="transformers")
    assert demo.data_folder() == demo_data_dir() and demo.model.backend == "transformers"
    assert demo.index_folder() == own_shop.parent.resolve() / "state" / "demo"  # not the own shop's index
    with pytest.raises(ConfigError, match="model.backend"):
        project.with_overrides(backend="gpt")


def test_the_service_built_from_a_project_writes_in_its_voice(own_shop):
    service = ContentService.from_project(load_project(own_shop), EchoGenerator())
    assert service.shop.name == "online-retail" and len(service.shop.catalog) > 100
    shopper = str(service.profiles.frame.sort_values("n_orders").index[-1])
    brief = service.brief(shopper, "sms")
    assert brief.voice.name == "Acme Candles" and len(brief.products) == 2
    copies = service.write(shopper, "sms")
    assert len(copies) == 1 and "Acme Candles" in copies[0].text


def test_commands_read_the_project_file_in_the_current_folder(own_shop, monkeypatch):
    monkeypatch.chdir(own_shop.parent)
    runner = CliRunner()
    service = ContentService.from_project(load_project(own_shop), EchoGenerator())
    shopper = str(service.profiles.frame.sort_values("n_orders").index[-1])
    result = runner.invoke(app, ["generate", "--shopper", shopper, "--channel", "sms"])
    assert result.exit_code == 0, result.output
    assert "Acme Candles" in result.output and "echo" in result.output  # the project's voice and backend
    # recommend shows the very products the copy is written about (one path: the service)
    result = runner.invoke(app, ["recommend", "--shopper", shopper, "--k", "2"])
    assert result.exit_code == 0, result.output
    for product in service.brief(shopper, "sms").products:
        assert f"({product.product_id})" in result.output
    # and --project FILE names it from anywhere
    result = runner.invoke(app, ["profile", "--shopper", shopper, "--project", str(own_shop)])
    assert result.exit_code == 0 and shopper in result.output and "chance of buying" in result.output  # propensity model


def test_app_main_builds_its_service_from_the_project(own_shop, monkeypatch):
    import app as ui

    built = {}

    class _Launched:
        def launch(self, **options):
            built["options"] = options

    def fake_build(service, workspace=None):
        built["service"] = service
        return _Launched()

    monkeypatch.setattr(ui, "build_app", fake_build)
    ui.main(["--project", str(own_shop), "--port", "7999"])
    service = built["service"]
    assert service.settings.voice.name == "Acme Candles" and service.settings.generator_backend == "echo"
    assert built["options"]["server_port"] == 7999
    with pytest.raises(SystemExit):
        ui.main(["--project", str(own_shop.parent / "missing.toml")])
