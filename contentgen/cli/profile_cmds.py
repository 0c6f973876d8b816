"""`contentgen profile`, `contentgen segments`, `contentgen propensity`: the shopper portrait."""

from __future__ import annotations

from pathlib import Path

import typer

from contentgen.cli.common import DataOption, MappingOption, ProjectOption, load_shop_from_options, service_from_options

AsOfOption = typer.Option(None, "--as-of", help="Profile date (YYYY-MM-DD); default: the day after the last event.")


def _date(value: str | None, option: str):
    from datetime import date

    from contentgen.errors import ConfigError

    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None


def register(app: typer.Typer) -> None:
    @app.command("profile")
    def profile(
        shopper: str = typer.Option(..., "--shopper", help="The shopper id to describe, e.g. 12347."),
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
        as_of: str = AsOfOption,
    ) -> None:
        """Print one shopper's profile: RFM, segment, cluster, purchase propensity, favourite categories and products."""
        service = service_from_options(project, data, mapping, as_of=_date(as_of, "--as-of"))
        shop, profiles = service.shop, service.profiles
        typer.echo(profiles.describe(shopper))
        if shopper not in profiles:
            sample = ", ".join(profiles.frame.index[:5])
            typer.echo(f"(no shopper {shopper!r} in {shop.name}; ids there look like: {sample})", err=True)

    @app.command("segments")
    def segments(
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
        as_of: str = AsOfOption,
        clusters: bool = typer.Option(True, "--clusters/--no-clusters", help="Also fit and describe behavioural clusters."),
        examples: int = typer.Option(0, "--examples", help="Also print this many shoppers' profiles per segment."),
        out: Path = typer.Option(None, "--out", help="Write every shopper's profile row to this .csv or .parquet file."),
    ) -> None:
        """Print shoppers per lifecycle segment and the behavioural clusters in words."""
        import time

        started = time.perf_counter()
        service = service_from_options(project, data, mapping, as_of=_date(as_of, "--as-of"), clusters=clusters)
        shop = service.shop
        loaded = time.perf_counter()
        profiles = service.profiles
        built = time.perf_counter()
        typer.echo(f"{shop.name}: {len(profiles):,} shoppers profiled as of {profiles.as_of:%Y-%m-%d}\n")
        counts = profiles.segment_summary()
        typer.echo(f"{'segment':<12}{'shoppers':>10}{'share':>8}   median of its buyers")
        for segment, row in counts.iterrows():
            line = f"{segment:<12}{int(row['shoppers']):>10,}{row['share']:>8.1%}"
            if row["shoppers"] and row["median_orders"] == row["median_orders"]:  # NaN for cold_start
                line += (f"   {row['median_recency_days']:.0f} days since last order, "
                         f"{row['median_orders']:.0f} order{'' if row['median_orders'] == 1 else 's'}, {shop.currency} {row['median_monetary']:,.0f} spent")
            typer.echo(line)
        if profiles.clusters is not None:
            result = profiles.clusters
            typer.echo(f"\n{result.k} behavioural clusters (silhouette {result.silhouette:.3f}; "
                       + ", ".join(f"k={k}: {s:.3f}" for k, s in result.silhouette_by_k.items()) + ")")
            for description in result.descriptions:
                typer.echo(f"  {description.text}")
        if profiles.category_source.startswith("derived"):
            typer.echo(f"\ncategories are {profiles.category_source} (the catalog has none of its own)")
        if examples > 0:
            frame = profiles.frame
            for segment in counts.index[counts["shoppers"] > 0]:
                for shopper_id in frame.index[frame["segment"] == segment][:examples]:
                    typer.echo("\n" + profiles.describe(shopper_id))
        if out is not None:
            path = profiles.write(out)
            typer.echo(f"\nwrote {len(profiles):,} profiles to {path}")
        typer.echo(f"\nloaded in {loaded - started:.1f} s, profiled in {built - loaded:.1f} s")

    @app.command("propensity")
    def propensity(
        project: Path = ProjectOption,
        data: str = typer.Option(None, "--data", help="Shop data: 'real', 'demo' or a folder (see `load`); default: the "
                                 "project's, 'real' when there is no project file.", show_default=False),
        mapping: Path = MappingOption,
        cutoff: str = typer.Option("2011-09-01", "--cutoff", help="Train before this date, evaluate the period after it."),
        horizon: int = typer.Option(90, "--horizon", help="Label: buys within this many days."),
        estimator: str = typer.Option("logistic", "--estimator", help="'logistic' or 'gradient_boosting'."),
    ) -> None:
        """Train the purchase-propensity model and print held-out AUC, baseline AUC and calibration."""
        from contentgen.profile import PropensityConfig, evaluate_propensity

        config = PropensityConfig(horizon_days=horizon, estimator=estimator)
        shop = load_shop_from_options(data, mapping, project=project, default_data="real")
        report = evaluate_propensity(shop, cutoff, config)
        typer.echo(report.summary())
        typer.echo("\ncalibration on the held-out period (shoppers by predicted probability):")
        typer.echo(report.calibration.to_string(float_format=lambda v: f"{v:.3f}"))
