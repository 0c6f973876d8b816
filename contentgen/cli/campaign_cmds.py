"""`contentgen offers ...`, `contentgen feedback ...`, `contentgen report`: the campaign loop."""

from __future__ import annotations

from datetime import date
import os
from pathlib import Path

import typer

from contentgen.cli.common import DataOption, ProjectOption, project_from_options

DB_HELP = ("Campaign store: an SQLite file path or an SQLAlchemy URL (default: env CONTENTGEN_DB, else the "
           "project's [store] url).")
DbOption = typer.Option(None, "--db", help=DB_HELP)
RulesOption = typer.Option(None, "--rules", help="Offer rules YAML (default: the packaged default_offers.yaml).")


def _open_store(db: str | None, project: Path | None = None):
    from contentgen.store import open_store

    return open_store(db or os.environ.get("CONTENTGEN_DB") or project_from_options(project).store_url())


def register(app: typer.Typer) -> None:
    offers_app = typer.Typer(help="Offer rules and the choice of an offer per shopper.", no_args_is_help=True)
    feedback_app = typer.Typer(help="Outcome events from the email service, and the next send's split.",
                               no_args_is_help=True)
    app.add_typer(offers_app, name="offers")
    app.add_typer(feedback_app, name="feedback")

    @offers_app.command("validate")
    def offers_validate(
        rules: Path = typer.Argument(None, help="Rules YAML (default: the project's [offers] file, else the packaged one)."),
        project: Path = ProjectOption,
    ) -> None:
        """Check an offer rules file and list its offers."""
        from contentgen.offers import load_offer_rules

        rules = rules or project_from_options(project).offers_file()
        loaded = load_offer_rules(rules)
        typer.echo(f"{rules or 'default rules'}: {len(loaded.offers)} offers, margin floor {loaded.margin_floor:.0%}, "
                   f"total budget {loaded.total_budget if loaded.total_budget is not None else 'none'} {loaded.currency}")
        for offer in loaded.offers:
            window = f"{offer.valid_from or '…'} → {offer.valid_until or '…'}"
            typer.echo(f"  {offer.id:<22} {offer.kind:<14} {offer.value:>6g}  segments={','.join(offer.segments):<20} "
                       f"odds×{offer.odds_lift:g}  budget={offer.budget if offer.budget is not None else '-'}  {window}")

    @offers_app.command("plan")
    def offers_plan(
        audience: Path = typer.Option(None, "--audience", exists=True, dir_okay=False,
                                      help="CSV/Parquet: shopper_id, segment, propensity, avg_order_value "
                                           "[, margin, top_category]. Without it, profiles of --data are built."),
        project: Path = ProjectOption,
        data: str = DataOption,
        rules: Path = RulesOption,
        send_date: str = typer.Option(None, "--date", help="Send date YYYY-MM-DD (default: the day after the "
                                                           "shop's last event, or today with --audience)."),
        out: Path = typer.Option(None, "--out", help="Write the per-shopper plan (with offer terms) to this CSV."),
    ) -> None:
        """Choose an offer per shopper by expected incremental value; print the per-offer ROI estimate."""
        import pandas as pd

        from contentgen.errors import ConfigError
        from contentgen.offers import choose_offers, load_offer_rules, plan_shop_offers

        try:
            day = date.fromisoformat(send_date) if send_date else None
        except ValueError:
            raise ConfigError(f"--date {send_date!r} is not a date; use YYYY-MM-DD") from None
        chosen = project_from_options(project, data)
        loaded = load_offer_rules(rules or chosen.offers_file())
        if audience is not None:
            frame = pd.read_parquet(audience) if audience.suffix == ".parquet" else pd.read_csv(audience, dtype={"shopper_id": str})
            plan = choose_offers(frame, loaded, day or date.today())
        else:
            plan = plan_shop_offers(chosen.load_shop(), loaded, day)
        typer.echo(plan.by_offer.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
        e = plan.estimate
        typer.echo(f"campaign: {e.recipients:,} recipients, {e.with_offer:,} with an offer; expected revenue "
                   f"{e.expected_revenue:,.2f}, incremental {e.incremental_revenue:,.2f}, cost {e.expected_cost:,.2f}, "
                   f"ROI {e.roi:.2f}")
        for offer_id, reason in plan.skipped.items():
            typer.echo(f"  not used: {offer_id}: {reason}")
        if out is not None:
            table = plan.assignments.copy()
            for field in ("code", "expires", "description"):
                table[field] = table["offer_id"].map({k: getattr(t, field) for k, t in plan.terms.items()}).fillna("")
            table.to_csv(out, index=False)
            typer.echo(f"wrote {len(table):,} rows to {out}")

    @feedback_app.command("import")
    def feedback_import(
        events: Path = typer.Argument(..., exists=True, dir_okay=False, help="Outcome export CSV from the email service."),
        db: str = DbOption,
        project: Path = ProjectOption,
    ) -> None:
        """Ingest outcome events (sent, delivered, opened, clicked, converted, unsubscribed). Idempotent."""
        with _open_store(db, project) as store:
            result = store.import_outcomes(events)
        note = " (file seen before)" if result.already_imported else ""
        typer.echo(f"{events}: {result.rows_read:,} rows read, {result.rows_added:,} events added, "
                   f"{result.duplicates:,} already stored{note}")
        for reason, count in result.skipped.items():
            typer.echo(f"  skipped {count:,}: {reason}")

    @feedback_app.command("next-split")
    def feedback_next_split(
        campaign: str = typer.Argument(..., help="Campaign id."),
        messages: int = typer.Option(1000, "--messages", "-n", help="Size of the next send."),
        reward: str = typer.Option("clicked", "--reward", help="Event that counts as a win: opened, clicked, converted."),
        exploration: float = typer.Option(1.0, "--exploration", help=">1 explores more, <1 exploits sooner."),
        min_share: float = typer.Option(0.0, "--min-share", help="Floor on every variant's share."),
        seed: int = typer.Option(0, "--seed"),
        db: str = DbOption,
        project: Path = ProjectOption,
    ) -> None:
        """Split the next send between variants by Thompson sampling over the outcomes so far."""
        from contentgen.store import BanditConfig, next_split

        config = BanditConfig(reward=reward, exploration=exploration, min_share=min_share, seed=seed)
        with _open_store(db, project) as store:
            split = next_split(store, campaign, messages, config)
        table = split.stats.set_index("variant").assign(share=split.shares, next_send=split.messages)
        typer.echo(table.to_string(float_format=lambda v: f"{v:.3f}"))

    @app.command("report")
    def report(
        campaign: str = typer.Argument(..., help="Campaign id."),
        db: str = DbOption,
        project: Path = ProjectOption,
        out: Path = typer.Option(Path("reports"), "--out", help="Folder for report.html, the PNG charts and CSV tables."),
        control: str = typer.Option(None, "--control", help="Control variant (default: first by name)."),
        alpha: float = typer.Option(0.05, "--alpha", help="Significance level of the A/B tests."),
    ) -> None:
        """CTR, CVR, revenue and ROI per variant and segment, with intervals, A/B tests and charts."""
        from contentgen.store import campaign_report
        from contentgen.store.report_html import figure_png, render_html

        with _open_store(db, project) as store:
            result = campaign_report(store, campaign, control=control, alpha=alpha)
        for line in result.summary_lines():
            typer.echo(line)
        columns = ["variant", "sent", "clicked", "converted", "ctr", "ctr_low", "ctr_high", "cvr", "revenue", "cost", "roi"]
        typer.echo(result.by_variant[columns].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        folder = out / campaign
        folder.mkdir(parents=True, exist_ok=True)
        for name, figure in result.figures.items():
            (folder / f"{name}.png").write_bytes(figure_png(figure))
        result.by_variant.to_csv(folder / "by_variant.csv", index=False)
        result.by_segment.to_csv(folder / "by_segment.csv", index=False)
        result.by_variant_segment.to_csv(folder / "by_variant_segment.csv", index=False)
        result.ab_tests.to_csv(folder / "ab_tests.csv", index=False)
        (folder / "report.html").write_text(render_html(result), encoding="utf-8")
        typer.echo(f"wrote {folder / 'report.html'} and {len(result.figures)} charts")
