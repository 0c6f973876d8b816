"""`contentgen generate` and `contentgen eval-copy`: grounded copy for shoppers, and its measured quality."""

from __future__ import annotations

from pathlib import Path
import time

import typer

from contentgen.cli.common import DataOption, MappingOption, load_shop_from_options

ModelOption = typer.Option(None, "--model", help="qwen2.5-coder-1.5b (default), qwen2.5-coder-0.5b or smollm2-135m.")
BackendOption = typer.Option(None, "--backend", help="transformers (default) or llamacpp (optional extra).")


def _service(shop, model: str | None, backend: str | None, variants: int):
    from contentgen.service import ContentService, ServiceSettings

    overrides = {k: v for k, v in {"generator_model": model, "generator_backend": backend}.items() if v}
    return ContentService(shop, ServiceSettings(variants=variants, **overrides))


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate(
        shopper: str = typer.Option(..., "--shopper", help="Shopper id, e.g. 12347."),
        channel: str = typer.Option("email", "--channel", help="email, sms, push, ad or social."),
        language: str = typer.Option("en", "--language", help="en or zh."),
        variants: int = typer.Option(3, "--variants", min=1, help="Variants for A/B testing, each checked."),
        data: str = DataOption,
        mapping: Path = MappingOption,
        model: str = ModelOption,
        backend: str = BackendOption,
    ) -> None:
        """Write checked copy variants for one shopper: facts by merge field, creative parts by the model."""
        from contentgen.presenters import copy_text, offer_text

        service = _service(load_shop_from_options(data, mapping), model, backend, variants)
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
        variants: int = typer.Option(3, "--variants", min=1),
        samples: int = typer.Option(2, "--samples", min=0, help="Sample messages to print per channel."),
        seed: int = typer.Option(0, "--seed", help="Seed for the shopper sample."),
        data: str = typer.Option("real", "--data", help="demo, real, or a folder of export files."),
        mapping: Path = MappingOption,
        model: str = ModelOption,
        backend: str = BackendOption,
    ) -> None:
        """Measure the copy on real shoppers: factual errors, length, personalization, diversity, fallbacks, speed."""
        from contentgen.generate.evaluation import copy_metrics
        from contentgen.presenters import copy_text

        service = _service(load_shop_from_options(data, mapping), model, backend, variants)
        ids = service.profiles.frame.index.astype(str).to_series()
        chosen = ids.sample(min(shoppers, len(ids)), random_state=seed).tolist()
        writer = service.writer
        rows = []
        for channel in [c.strip() for c in channels.split(",") if c.strip()]:
            briefs = [service.brief(s, channel, language) for s in chosen]
            started = time.perf_counter()
            copies = writer.write_many(briefs, show_progress=True)
            metrics = copy_metrics(briefs, copies, time.perf_counter() - started)
            rows.append(metrics)
            typer.echo(f"\n=== {channel}/{language}: {metrics}")
            for variants_of_one in copies[:samples]:
                typer.echo(copy_text(variants_of_one[0]) + "\n")
        typer.echo(f"\nCopy quality, {len(chosen)} shoppers, {writer.generator.name}, {variants} variants each")
        typer.echo("| channel | messages | factual errors | length ok | personalized | distinct-2 | fallback | s/message |")
        typer.echo("|---|---|---|---|---|---|---|---|")
        for m in rows:
            typer.echo(
                f"| {m.channel}/{m.language} | {m.messages} | {m.factual_error_rate:.1%} | {m.length_compliance:.1%} | "
                f"{m.personalization_rate:.1%} | {m.distinct_2:.2f} | {m.fallback_rate:.1%} | {m.seconds_per_message:.2f} |"
            )
        stats = writer.stats
        if stats["candidates"]:
            top = ", ".join(f"{k[7:]} {v}" for k, v in stats.most_common() if k.startswith("failed:"))
            typer.echo(
                f"\nBefore guardrails: {stats['candidates']} samples, {stats['parsed'] / stats['candidates']:.0%} parsed, "
                f"{stats['passed'] / stats['candidates']:.0%} passed every check; failures by check: {top or 'none'}"
            )
