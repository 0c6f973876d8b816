"""`contentgen generate` and `contentgen eval-copy`: grounded copy for shoppers, and its measured quality."""

from __future__ import annotations

from pathlib import Path
import time

import typer

from contentgen.cli.common import DataOption, MappingOption, ProjectOption, service_from_options

ModelOption = typer.Option(
    None, "--model", help="qwen2.5-coder-1.5b, qwen2.5-coder-0.5b or smollm2-135m (default: the project's [model] name).")
BackendOption = typer.Option(
    None, "--backend", help="auto (llamacpp when installed, else transformers), llamacpp, transformers or echo "
    "(no model); default: the project's [model] backend.")




def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate(
        shopper: str = typer.Option(..., "--shopper", help="Shopper id, e.g. 12347."),
        channel: str = typer.Option("email", "--channel", help="email, sms, push, ad or social."),
        language: str = typer.Option("en", "--language", help="en or zh."),
        variants: int = typer.Option(None, "--variants", min=1, help="Variants for A/B testing, each checked (default: the project's).", show_default=False),
        project: Path = ProjectOption,
        data: str = DataOption,
        mapping: Path = MappingOption,
        model: str = ModelOption,
        backend: str = BackendOption,
    ) -> None:
        """Write checked copy variants for one shopper: facts by merge field, creative parts by the model."""
        from contentgen.presenters import copy_text, offer_text

        service = service_from_options(project, data, mapping, backend=backend, model=model, variants=variants)
        brief = service.brief(shopper, channel, language)
        typer.echo(f"Shopper {brief.shopper_id}: {brief.situation}")
        for product in brief.products:
            typer.echo(f"  recommended: {product.name} ({product.price:.2f} {product.currency})")
        typer.echo(f"  offer: {offer_text(brief.offer)}\n")
        started = time.perf_counter()
        copies = service.writer.write(brief)
        for copy in copies:
            typer.echo(copy_text(copy) + "\n")
        typer.echo(f"({service.writer.generator.name}, {time.perf_counter() - started:.1f}s including model load)")

    @app.command("eval-copy")
    def eval_copy(
        shoppers: int = typer.Option(200, "--shoppers", min=1, help="How many shoppers to sample."),
        channels: str = typer.Option("email,sms,push,ad,social", "--channels", help="Comma-separated channels."),
        language: str = typer.Option("en", "--language", help="en or zh."),
        variants: int = typer.Option(None, "--variants", min=1, help="Variants per message (default: the project's).", show_default=False),
        candidates: int = typer.Option(None, "--candidates", min=1, help="Samples per brief and round (default: the writer's)."),
        samples: int = typer.Option(2, "--samples", min=0, help="Sample messages to print per channel."),
        seed: int = typer.Option(0, "--seed", help="Seed for the shopper sample."),
        out: Path = typer.Option(
            None, "--out", help="Save every scored message to this JSONL file as it is written; "
            "rerunning with the same file skips what is already there (resume after a crash)."),
        project: Path = ProjectOption,
        data: str = typer.Option(None, "--data", help="demo, real, or a folder of export files (default: the project's; "
                                 "'real' when there is no project file).", show_default=False),
        mapping: Path = MappingOption,
        model: str = ModelOption,
        backend: str = BackendOption,
    ) -> None:
        """Measure the copy on real shoppers: factual errors, length, personalization, diversity, fallbacks, speed."""
        from contentgen.generate.eval_copy import EvalCopySettings, metrics_table, run_eval_copy

        service = service_from_options(project, data, mapping, default_data="real", backend=backend, model=model,
                                       variants=variants, candidates=candidates)
        settings = EvalCopySettings(
            shoppers=shoppers, channels=tuple(c.strip() for c in channels.split(",") if c.strip()),
            language=language, variants=service.settings.variants, candidates=candidates, seed=seed)
        result = run_eval_copy(service, settings, out=out, samples=samples,
                               on_progress=lambda done, total: typer.echo(f"  {done}/{total} shoppers", err=True))
        if result.resumed:
            typer.echo(f"resuming: {result.resumed} messages already scored in {out}")
        for channel, row in zip(settings.channels, result.channels):
            typer.echo(f"\n--- samples, {channel}/{language}")
            for score in row.samples:
                typer.echo(f"[shopper {score.shopper_id}{', fallback' if score.fallback else ''}]\n{score.text}\n")
        typer.echo("\n" + metrics_table(result))
