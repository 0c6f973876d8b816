"""`contentgen audience synth` and `contentgen campaign run`: list campaigns, cohort by cohort."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from contentgen.cli.common import DataOption, MappingOption, ProjectOption, load_shop_from_options


def register(app: typer.Typer) -> None:
    audience_app = typer.Typer(help="Audience lists for campaigns.", no_args_is_help=True)
    campaign_app = typer.Typer(help="List campaigns: checked, personalized copy for every recipient.",
                               no_args_is_help=True)
    app.add_typer(audience_app, name="audience")
    app.add_typer(campaign_app, name="campaign")

    @audience_app.command("synth")
    def audience_synth(
        out: Path = typer.Option(..., "--out", help="CSV to write."),
        n: int = typer.Option(1000, "--n", help="Recipients."),
        seed: int = typer.Option(0, "--seed"),
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
    ) -> None:
        """A synthetic audience from the shop's real shopper ids: example.com addresses, seeded first names,
        and a planted mix of no-consent (4%), unsubscribed (2%), invalid (2%), duplicate (2%) and
        unknown-shopper (3%) rows. Every row is labelled synthetic; `synthetic_case` names its case."""
        from contentgen.campaign import synth_audience

        shop = load_shop_from_options(data, mapping, project=project)
        locales = dict(zip(shop.shoppers["shopper_id"].astype(str), shop.shoppers["locale"].fillna("").astype(str))) \
            if "locale" in shop.shoppers else None
        frame = synth_audience(shop.shoppers["shopper_id"], n, seed, locales)
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        cases = frame["synthetic_case"].value_counts().to_dict()
        typer.echo(f"wrote {len(frame):,} synthetic recipients to {out} ({', '.join(f'{k} {v}' for k, v in sorted(cases.items()))})")

    @campaign_app.command("run")
    def campaign_run(
        audience: Path = typer.Option(..., "--audience", exists=True, dir_okay=False,
                                      help="CSV/TSV/Parquet/JSONL: an address column (email, phone or device token), consent "
                                           "for the channel, and optionally shopper id, first name, unsubscribed, locale."),
        name: str = typer.Option(..., "--name", help="Campaign name; its slug is the campaign id in the store."),
        out: Path = typer.Option(..., "--out", help="Folder for messages.<fmt>, errors.csv, skipped.csv, summary.json."),
        channel: str = typer.Option(None, "--channel", help="email, sms or push [default: the project's "
                                                            "[campaign] channel, else email]."),
        variants: int = typer.Option(2, "--variants", help="Creative variants per cohort (A/B/...)."),
        cohort: str = typer.Option(None, "--cohort", help="auto, segment, interest or recipient (one per recipient) "
                                                          "[default: [campaign] cohort, else auto]."),
        esp: str = typer.Option(None, "--esp", help="generic, mailchimp or klaviyo: headers and unsubscribe tag "
                                                    "[default: [campaign] esp, else generic]."),
        engine: str = typer.Option(None, "--engine", help="local, or ray (Ray Data; RAY_ADDRESS for a cluster) "
                                                          "[default: [campaign] engine, else local]."),
        ray_actors: int = typer.Option(1, "--ray-actors", help="Ray: model actors writing cohorts at once (each loads "
                                                               "one model)."),
        ray_cpus: float = typer.Option(2.0, "--ray-cpus-per-actor", help="Ray: CPUs each model actor reserves."),
        formats: str = typer.Option(None, "--format", help="Comma-separated: csv, jsonl, parquet "
                                                           "[default: [campaign] formats, else csv]."),
        suppression: Path = typer.Option(None, "--suppression", exists=True, dir_okay=False,
                                         help="Addresses never to send to (a column of addresses or one per line) "
                                              "[default: [campaign] suppression]."),
        columns: list[str] = typer.Option(None, "--column", metavar="FIELD=HEADER",
                                          help="Map one of our audience fields to the file's header, e.g. "
                                               "--column email='E-mail' (repeatable; adds to [campaign.audience_mapping]). "
                                               "Fields: email, phone, device_token, shopper_id, first_name, consent "
                                               "columns, unsubscribed, locale."),
        allow_changed: bool = typer.Option(False, "--allow-changed-audience",
                                           help="Resume with an edited audience file: add new rows, report removed ones."),
        next_send: bool = typer.Option(False, "--next-send",
                                       help="Start the next send of a finished campaign, split by the bandit's shares."),
        postal_address: str = typer.Option(None, "--postal-address", help="The shop's postal address for the footer."),
        unsubscribe_link: str = typer.Option(None, "--unsubscribe-link",
                                             help="Generic ESP: unsubscribe link template with {token}."),
        link_template: str = typer.Option(None, "--link-template", help="Product links, e.g. https://shop.example/p/{product_id}."),
        seed: int = typer.Option(0, "--seed"),
        candidates: int = typer.Option(4, "--candidates", help="Samples per cohort per round."),
        chunk: int = typer.Option(100, "--chunk", help="Recipients per checkpoint."),
        backend: str = typer.Option(None, "--backend", help="auto, llamacpp, transformers or echo (no model: every message is the fallback)."),
        model: str = typer.Option(None, "--model", help="qwen2.5-coder-1.5b (default), qwen2.5-coder-0.5b or smollm2-135m."),
        db: str = typer.Option(None, "--db", help="Campaign store (default: env CONTENTGEN_DB, else the project's [store] url)."),
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Draw progress bars."),
    ) -> None:
        """Write checked, personalized copy for every recipient of a list: the model writes once per cohort,
        each recipient's products, prices, codes, name and footer are merged and checked. Resumable: run the
        same command again after a crash and nobody is written twice."""
        from contentgen.campaign import CampaignSettings, run_campaign

        from pydantic import ValidationError

        from contentgen.cli.common import project_from_options
        from contentgen.errors import ConfigError

        chosen = project_from_options(project, data, mapping, backend=backend, model=model)
        given = {"channel": channel, "cohort": cohort, "esp": esp, "engine": engine, "suppression": suppression,
                 "formats": tuple(f.strip() for f in formats.split(",") if f.strip()) if formats else None}
        options = {**chosen.campaign_run_defaults(), **{k: v for k, v in given.items() if v is not None}}
        mapped = dict(options.get("audience_mapping", {}))
        for pair in columns or ():
            field, sep, header = pair.partition("=")
            if not sep or not field.strip() or not header.strip():
                raise ConfigError(f"--column {pair!r}: write FIELD=HEADER, e.g. --column email='E-mail'")
            mapped[field.strip()] = header.strip()
        if mapped:
            options["audience_mapping"] = mapped
        try:
            settings = CampaignSettings(
                name=name, out_dir=out, variants=variants, store=db or os.environ.get("CONTENTGEN_DB"),
                allow_changed_audience=allow_changed, next_send=next_send,
                postal_address=postal_address, unsubscribe_link_template=unsubscribe_link, link_template=link_template,
                seed=seed, candidates=candidates, chunk_size=chunk, ray_actors=ray_actors, ray_cpus_per_actor=ray_cpus,
                **options,
            )
        except ValidationError as error:
            problems = "; ".join(f"--{'-'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}" for e in error.errors())
            raise ConfigError(f"campaign settings: {problems}") from None
        from contentgen.service import ContentService

        service = ContentService.from_project(chosen)
        result = run_campaign(service, audience, settings, show_progress=progress)
        for line in result.summary_lines():
            typer.echo(line)

    @campaign_app.command("status")
    def campaign_status(
        campaign: str = typer.Argument(..., help="Campaign id."),
        db: str = typer.Option(None, "--db", help="Campaign store (default: env CONTENTGEN_DB, else the project's [store] url)."),
        project: Path = ProjectOption,
    ) -> None:
        """How far a campaign's latest send is: eligible, written, ready, errors, fallbacks."""
        from contentgen.campaign import campaign_progress
        from contentgen.store import open_store

        from contentgen.cli.common import project_from_options

        with open_store(db or os.environ.get("CONTENTGEN_DB") or project_from_options(project).store_url()) as store:
            p = campaign_progress(store, campaign)
        typer.echo(f"{p.campaign_id} send {p.send_round}: {p.status}; {p.written:,} of {p.eligible:,} written "
                   f"({p.fraction:.0%}), {p.ready:,} ready, {p.errors:,} failed, {p.fallbacks:,} fallbacks")
