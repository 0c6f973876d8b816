"""`contentgen serve` (the HTTP service) and `contentgen keys ...` (its API keys)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from contentgen.cli.campaign_cmds import DbOption, _open_store
from contentgen.cli.common import DataOption, MappingOption, load_shop_from_options


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _service_and_store(project: Path | None, data: str, mapping: Path | None, db: str | None,
                       backend: str | None, model: str | None, content: bool):
    from contentgen.service import ContentService, ServiceSettings

    if project is not None:
        try:
            from contentgen.project import load_project
        except ImportError:
            from contentgen.errors import ConfigError

            raise ConfigError("--project needs contentgen.project, which this build lacks; use --data/--mapping/--db") from None
        loaded = load_project(project)
        service = ContentService.from_project(loaded)
        store_url = getattr(service.settings, "store_url", None)
        return service, _open_store(db or store_url)
    overrides = {k: v for k, v in {"generator_backend": backend, "generator_model": model}.items() if v}
    service = ContentService(load_shop_from_options(data, mapping), ServiceSettings(content=content, **overrides))
    return service, _open_store(db)


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="API keys of the HTTP service (stored hashed in the campaign store).",
                           no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @app.command("serve")
    def serve(
        project: Path = typer.Option(None, "--project", exists=True, dir_okay=False,
                                     help="Project file (contentgen.toml) naming the shop, store and models."),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on; loopback by default."),
        port: int = typer.Option(8000, "--port", min=1, max=65535),
        data: str = DataOption,
        mapping: Path = MappingOption,
        db: str = DbOption,
        backend: str = typer.Option(None, "--backend", help="Generator: auto (default), llamacpp, transformers or echo (no model)."),
        model: str = typer.Option(None, "--model", help="Generator model (default: the service's)."),
        content: bool = typer.Option(True, "--content/--no-content",
                                     help="Blend the content signal (loads the embedding model at start)."),
        max_body_kb: int = typer.Option(64, "--max-body-kb", min=1, help="Largest request body accepted."),
        requests_per_minute: float = typer.Option(600, "--requests-per-minute", min=0.001, help="Per key."),
        generations_per_minute: float = typer.Option(30, "--generations-per-minute", min=0.001, help="Per key."),
    ) -> None:
        """Serve recommendations, copy, live events and feedback over HTTP (OpenAPI at /docs).

        Fits profiles and the recommender before listening, so the first /recommend is fast; the
        language model loads on the first /generate. Every request needs a key from
        `contentgen keys create`.
        """
        import uvicorn

        from contentgen.api import ApiSettings, create_app

        if not _is_loopback(host):
            typer.secho(f"warning: listening on {host}: keys travel in clear text; put a TLS proxy in front",
                        fg=typer.colors.YELLOW, err=True)
        service, store = _service_and_store(project, data, mapping, db, backend, model, content)
        settings = ApiSettings(max_body_bytes=max_body_kb * 1024, requests_per_minute=requests_per_minute,
                               generations_per_minute=generations_per_minute)
        campaigns = None
        try:
            from contentgen.api.campaigns import CampaignRunner

            campaigns = CampaignRunner(service, store)
        except ImportError:
            typer.echo("note: no campaign engine in this build; /campaigns answers 501", err=True)
        typer.echo(f"fitting {service.shop.name!r}, then serving on http://{host}:{port} (docs at /docs)", err=True)
        uvicorn.run(create_app(service, store, settings, campaigns=campaigns), host=host, port=port,
                    log_level="info", limit_concurrency=256, timeout_keep_alive=5)

    @keys_app.command("create")
    def keys_create(
        scope: str = typer.Option(..., "--scope", help="read (recommend, campaign status), generate (+ copy, events, "
                                                     "feedback) or admin (+ campaigns, refit)."),
        name: str = typer.Option("", "--name", help="Who or what uses the key, for `keys list`."),
        db: str = DbOption,
    ) -> None:
        """Create a key and print it once: only its hash is stored, so copy it now."""
        from contentgen.store.keys import ApiKeys

        with _open_store(db) as store:
            record, key = ApiKeys(store).create(scope, name)
        typer.echo(key)
        typer.echo(f"(key {record.key_id}, scope {record.scope}: shown once, store it somewhere safe)", err=True)

    @keys_app.command("list")
    def keys_list(db: str = DbOption) -> None:
        """Every key's id, scope, name and state (never the key itself)."""
        from contentgen.store.keys import ApiKeys

        with _open_store(db) as store:
            for key in ApiKeys(store).list():
                state = "revoked" if key.revoked else "active"
                typer.echo(f"{key.key_id}  {key.scope:<8}  {state:<7}  {key.created_at:%Y-%m-%d %H:%M}  {key.name}")

    @keys_app.command("revoke")
    def keys_revoke(key_id: str = typer.Argument(..., help="The id from `keys list` (the part after cg_)."), db: str = DbOption) -> None:
        """Revoke a key: requests with it get 401 from now on."""
        from contentgen.store.keys import ApiKeys

        with _open_store(db) as store:
            ApiKeys(store).revoke(key_id)
        typer.echo(f"revoked {key_id}")
