"""`contentgen demo`: the main job end to end on a shop — profiles, segments, recommendations, offers, copy."""

from __future__ import annotations

from pathlib import Path
import time

import typer

from contentgen.cli.common import DataOption, MappingOption, ProjectOption, service_from_options


def pick_demo_shoppers(profiles, n: int, with_offer: frozenset[str] = frozenset()) -> list[str]:
    """One shopper from each of the most telling segments, then the rest by order count.

    Within a segment, shoppers who were given an offer come first (a demo should show one),
    then those with the most orders.
    """
    frame = profiles.frame.assign(_offer=profiles.frame.index.astype(str).isin(list(with_offer)))
    chosen: list[str] = []
    for segment in ("loyal", "at_risk", "new", "active", "churned"):
        rows = frame[frame["segment"] == segment].sort_values(["_offer", "n_orders", "monetary"], ascending=False)
        if len(rows) and len(chosen) < n:
            chosen.append(str(rows.index[0]))
    rest = frame.drop(index=chosen).sort_values("n_orders", ascending=False)
    chosen += [str(s) for s in rest.index[: max(0, n - len(chosen))]]
    return chosen


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
        shoppers: int = typer.Option(3, "--shoppers", min=0, help="How many shoppers to write copy for."),
        channel: str = typer.Option("email", "--channel", help="email, sms, push, ad or social."),
        language: str = typer.Option("en", "--language", help="en or zh."),
        model: str = typer.Option(None, "--model", help="Generator model (default: the project's [model] name)."),
        backend: str = typer.Option(None, "--backend", help="auto (default: llamacpp when installed, else transformers), llamacpp, transformers or echo (no model)."),
    ) -> None:
        """Run the main job: load, profile and segment every shopper, then write copy for a few of them."""
        from contentgen.presenters import copy_text, offer_text, recommendations_frame

        started = time.perf_counter()
        # The demo keeps generation to one batch of 12 samples (3 shoppers x 4 candidates): on a
        # 2-core CPU the 1.5B model decodes ~4 tokens/s in aggregate, so this is minutes, not seconds.
        service = service_from_options(project, data, mapping, backend=backend, model=model, variants=2, candidates=4)
        shop = service.shop
        report = shop.report
        typer.echo(
            f"Loaded {shop.name}: {report.total_read:,} lines read, {report.events_loaded:,} events kept, "
            f"{report.lines_set_aside:,} set aside by named rules, {len(report.quarantined_products):,} products "
            f"quarantined ({shop.report.seconds:.1f}s). "
            "`contentgen load` shows each rule."
        )
        profiles = service.profiles

        typer.echo("\nLifecycle segments")
        typer.echo(service.segment_table().to_string(formatters={"share": "{:.1%}".format}))
        if profiles.clusters is not None:
            c = profiles.clusters
            typer.echo(f"\nBehavioural clusters: k={c.k} chosen by silhouette ({c.silhouette:.3f})")
            for d in c.descriptions:
                typer.echo(f"  {d.cluster}: {d.text}")

        plan = service.offer_plan.assignments
        offered = frozenset(plan.loc[plan["offer_id"] != "", "shopper_id"].astype(str))
        chosen = pick_demo_shoppers(profiles, shoppers, offered)
        for shopper_id in chosen:
            typer.echo("\n" + "=" * 78)
            typer.echo(profiles.describe(shopper_id))
            typer.echo("\nRecommended:")
            typer.echo(recommendations_frame(service.recommend(shopper_id)).to_string(index=False))
            typer.echo(f"\nOffer: {offer_text(service.offer(shopper_id))}")
        if chosen:
            typer.echo(f"\nWriting {channel} copy for {len(chosen)} shoppers with {service.writer.generator.name} "
                       "(loaded once per process; generation is the slow part)...")
            for shopper_id, copies in zip(chosen, service.write_many(chosen, channel, language, show_progress=True)):
                typer.echo("\n" + "-" * 78 + f"\nShopper {shopper_id}")
                for copy in copies:
                    typer.echo(copy_text(copy) + "\n")
        typer.echo(f"Done in {time.perf_counter() - started:.0f}s.")
