"""`contentgen evaluate` (offline comparison on a time split) and `contentgen recommend --shopper ID`."""

from __future__ import annotations

from pathlib import Path

import typer

from contentgen.cli.common import DATA_HELP, DataOption, MappingOption, ProjectOption, load_shop_from_options, service_from_options


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate(
        project: Path = ProjectOption,
        data: str = typer.Option(None, "--data", help=DATA_HELP + " Default: the project's, 'real' when there is no "
                                 "project file.", show_default=False),
        mapping: Path = MappingOption,
        validation_cutoff: str = typer.Option("2011-06-01", help="Blend weights are tuned on purchases from here to --test-cutoff."),
        test_cutoff: str = typer.Option("2011-09-01", help="Train before this date, test on purchases from it on."),
        k: int = typer.Option(10, "--k", min=1, help="List length for Recall/NDCG/Precision/MAP@k."),
        content: bool = typer.Option(False, "--content/--no-content", help="Also evaluate and blend the content model (slower)."),
        movielens: Path = typer.Option(None, "--movielens", help="Also run the MovieLens-100k protocol on this folder (holding u.data)."),
        output: Path = typer.Option(None, "--output", help="Write the tables as Markdown to this file."),
        rolling: int = typer.Option(0, "--rolling", min=0, help=(
            "Instead of one split, evaluate at the last N monthly cutoffs (each fit tuned on its own "
            "past, tested on the next month): mean and spread per method, blend default vs tuned.")),
        tuned_fit: bool = typer.Option(True, "--tuned-fit/--no-tuned-fit", help=(
            "Also show the blend with shipped defaults vs the blend tuned at fit on the test period.")),
        sequence: bool = typer.Option(False, "--sequence/--no-sequence", help=(
            "Add the basket-sequence model (GRU4Rec, torch) to the rolling/tuned-fit comparison.")),
    ) -> None:
        """Compare popularity, item-kNN, EASE, ALS, BPR (and content) with the blend on one time split."""
        from contentgen.evaluate.compare import EvaluationConfig, evaluate_shop
        from contentgen.rank.recommender import EVALUATED_SIGNALS

        shop = load_shop_from_options(data, mapping, project=project, default_data="real")
        scorers = None
        if content:
            from contentgen.rank.content import ContentScorer

            scorers = {"content": ContentScorer()}
        signals = EVALUATED_SIGNALS + (("sequence",) if sequence else ())
        if rolling:
            from contentgen.evaluate.rolling import RollingConfig, rolling_evaluation

            report = rolling_evaluation(shop, RollingConfig(n_cutoffs=rolling, k=k, signals=signals), scorers=scorers,
                                        progress=lambda m: typer.echo(m, err=True))
            text = "\n".join([f"## {shop.name}: rolling evaluation, {rolling} monthly cutoffs", report.to_markdown(),
                              "tuned at each cutoff:"] + [f"- {c}: {line}" for c, line in report.tuned.items()])
            typer.echo(text)
            if output is not None:
                output.write_text(text + "\n")
                typer.echo(f"wrote {output}", err=True)
            return
        config = EvaluationConfig(validation_cutoff=validation_cutoff, test_cutoff=test_cutoff, k=k)
        report = evaluate_shop(shop, config, scorers=scorers, progress=lambda m: typer.echo(m, err=True))
        parts = [
            f"## {shop.name}: validate {validation_cutoff} → {test_cutoff}, test {test_cutoff} → end",
            report.to_markdown(),
            "",
            f"blend weights (tuned on validation): {report.weights}",
        ]
        for mode in ("new", "all"):
            name, value = report.best_single(mode)
            parts.append(f"{mode}: best single {name} NDCG@{k} {value:.4f}; blend gain {report.blend_gain(mode):+.1%}")
        if tuned_fit:
            from contentgen.evaluate.rolling import RollingConfig, rolling_evaluation

            typer.echo("fitting the shipped defaults and the blend tuned at fit (on data before the test period)",
                       err=True)
            versus = rolling_evaluation(shop, RollingConfig(cutoffs=(test_cutoff,), months=None, k=k, signals=signals),
                                        scorers=scorers, progress=lambda m: typer.echo(m, err=True))
            parts += ["", f"## defaults vs tuned at fit: test {test_cutoff} → end", versus.to_markdown(),
                      f"tuned: {next(iter(versus.tuned.values()))}"]
        if movielens is not None:
            from contentgen.evaluate.movielens import evaluate_movielens

            typer.echo("running MovieLens-100k (Microsoft Recommenders protocol)", err=True)
            parts += ["", "## MovieLens-100k, Microsoft Recommenders protocol", evaluate_movielens(movielens).to_markdown()]
        text = "\n".join(parts)
        typer.echo(text)
        if output is not None:
            output.write_text(text + "\n")
            typer.echo(f"wrote {output}", err=True)

    @app.command("recommend")
    def recommend(
        shopper: str = typer.Option(..., "--shopper", help="Shopper id, e.g. 13085."),
        k: int = typer.Option(3, "--k", min=1, help="How many products."),
        include_purchased: bool = typer.Option(False, "--include-purchased", help="Allow 'buy again' products."),
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
    ) -> None:
        """Print one shopper's recommendations with their reasons: the products generate and the app write about."""
        service = service_from_options(project, data, mapping)
        shop = service.shop
        picks = service.recommend(shopper, k, exclude_purchased=not include_purchased)
        if service.recommender.is_cold([shopper.strip()])[0]:
            typer.echo(f"shopper {shopper} has no purchases in {shop.name}: showing cold-start picks", err=True)
        for rank, rec in enumerate(picks, 1):
            typer.echo(f"{rank}. {rec.title} ({rec.product_id}) {shop.currency} {rec.price:.2f}  score {rec.score:.2f}")
            for reason in rec.reasons:
                typer.echo(f"     - {reason}")
