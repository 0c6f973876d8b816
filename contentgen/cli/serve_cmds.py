"""`contentgen serve` (the HTTP service) and `contentgen keys ...` (its API keys)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from contentgen.cli.campaign_cmds import DbOption, _open_store
from contentgen.cli.common import DataOption, MappingOption, ProjectOption, service_from_options


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="API keys of the HTTP service (stored hashed in the campaign store).",
                           no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @app.command("serve")
    def serve(
        project: Path = ProjectOption,
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on; loopback by default."),
        port: int = typer.Option(8000, "--port", min=1, max=65535),
        data: str = DataOption,
        mapping: Path = MappingOption,
        db: str = DbOption,
        backend: str = typer.Option(None, "--backend", help="Generator: auto, llamacpp, transformers or echo (no model); "
                                                          "default: the project's."),
        model: str = typer.Option(None, "--model", help="Generator model (default: the project's)."),
        content: bool = typer.Option(None, "--content/--no-content", show_default=False,
                                     help="Blend the content signal (loads the embedding model at start); default: the project's."),
        campaigns_dir: Path = typer.Option(Path("campaigns"), "--campaigns-dir", file_okay=False,
                                           help="Where campaign runs started over the API write their files and records."),
        audience_dir: Path = typer.Option(Path("."), "--audience-dir", exists=True, file_okay=False,
                                          help="POST /campaigns reads audience files only from inside this folder."),
        max_body_kb: int = typer.Option(64, "--max-body-kb", min=1, help="Largest request body accepted."),
        requests_per_minute: float = typer.Option(600, "--requests-per-minute", min=0.001, help="Per key."),
        generations_per_minute: float = typer.Option(30, "--generations-per-minute", min=0.001, help="Per key."),
    ) -> None:
        """Serve recommendations, copy, campaigns, live events and feedback over HTTP (OpenAPI at /docs).

        Fits profiles and the recommender before listening, so the first /recommend is fast; the
        language model loads on the first /generate. Every request needs a key from
        `contentgen keys create`. Campaign runs cut short by a restart resume on the next start.
        """
        import uvicorn

        from contentgen.api import ApiSettings, create_app

        if not _is_loopback(host):
            typer.secho(f"warning: listening on {host}: keys travel in clear text; put a TLS proxy in front",
                        fg=typer.colors.YELLOW, err=True)
        service = service_from_options(project, data, mapping, backend=backend, model=model, content=content)
        store = _open_store(db, project)
        settings = ApiSettings(max_body_bytes=max_body_kb * 1024, requests_per_minute=requests_per_minute,
                               generations_per_minute=generations_per_minute, campaigns_dir=campaigns_dir,
                               audience_dir=audience_dir)
        typer.echo(f"fitting {service.shop.name!r}, then serving on http://{host}:{port} (docs at /docs)", err=True)
        uvicorn.run(create_app(service, store, settings), host=host, port=port, log_level="info",
                    limit_concurrency=256, timeout_keep_alive=5)

    @keys_app.command("create")
    def keys_create(
        scope: str = typer.Option(..., "--scope", help="read (recommend, campaign status), generate (+ copy, events, "
                                                     "feedback) or admin (+ campaigns, refit)."),
        name: str = typer.Option("", "--name", help="Who or what uses the key, for `keys list`."),
        db: str = DbOption,
        project: Path = ProjectOption,
    ) -> None:
        """Create a key and print it once: only its hash is stored, so copy it now."""
        from contentgen.store.keys import ApiKeys

        with _open_store(db, project) as store:
            record, key = ApiKeys(store).create(scope, name)
        typer.echo(key)
        typer.echo(f"(key {record.key_id}, scope {record.scope}: shown once, store it somewhere safe)", err=True)

    @keys_app.command("list")
    def keys_list(db: str = DbOption, project: Path = ProjectOption) -> None:
        """Every key's id, scope, name and state (never the key itself)."""
        from contentgen.store.keys import ApiKeys

        with _open_store(db, project) as store:
            for key in ApiKeys(store).list():
                state = "revoked" if key.revoked else "active"
                typer.echo(f"{key.key_id}  {key.scope:<8}  {state:<7}  {key.created_at:%Y-%m-%d %H:%M}  {key.name}")

    @keys_app.command("revoke")
    def keys_revoke(key_id: str = typer.Argument(..., help="The id from `keys list` (the part after cg_)."),
                    db: str = DbOption, project: Path = ProjectOption) -> None:
        """Revoke a key: requests with it get 401 from now on."""
        from contentgen.store.keys import ApiKeys

        with _open_store(db, project) as store:
            ApiKeys(store).revoke(key_id)
        typer.echo(f"revoked {key_id}")
