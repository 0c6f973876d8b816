"""`contentgen generate` and `contentgen eval-copy`: grounded copy for shoppers, and its measured quality."""

from __future__ import annotations

import json
import os
from pathlib import Path
import time

import typer

from contentgen.cli.common import DataOption, MappingOption, ProjectOption, service_from_options

ModelOption = typer.Option(
    None, "--model", help="qwen2.5-coder-1.5b, qwen2.5-coder-0.5b or smollm2-135m (default: the project's [model] name).")
BackendOption = typer.Option(
    None, "--backend", help="auto (llamacpp when installed, else transformers), llamacpp, transformers or echo "
    "(no model); default: the project's [model] backend.")


EVAL_CHUNK = 8  # shoppers written and saved together by eval-copy


def _jsonl(scores) -> str:
    """Scored messages as JSONL lines, the one format eval-copy appends and rewrites."""
    return "".join(json.dumps(score.to_dict(), ensure_ascii=False) + "\n" for score in scores)


def _fill_creative_personalized(saved: list, service, out: Path) -> list:
    """Score records saved before ``creative_personalized`` existed, from their (deterministic) briefs,
    and save them back to ``out`` (atomically) so the file itself is complete for anyone reading it."""
    from dataclasses import replace

    from contentgen.generate.evaluation import creative_personalized

    briefs = {}
    filled = []
    for score in saved:
        if score.creative_personalized is None:
            key = (score.shopper_id, score.channel, score.language)
            if key not in briefs:
                briefs[key] = service.brief(*key)
            score = replace(score, creative_personalized=creative_personalized(score.creative, briefs[key]))
        filled.append(score)
    if briefs:
        partial = out.with_name(out.name + ".partial")
        try:
            partial.write_text(_jsonl(filled), encoding="utf-8")
            os.replace(partial, out)  # a crash mid-write leaves the old file whole
        finally:
            partial.unlink(missing_ok=True)  # a failed write leaves no half file beside it
    return filled


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
        import statistics

        from contentgen.generate.evaluation import MessageScore, copy_metrics, score_messages

        service = service_from_options(project, data, mapping, default_data="real", backend=backend, model=model,
                                       variants=variants, candidates=candidates)
        variants = service.settings.variants
        ids = service.profiles.frame.index.astype(str).to_series()
        # a seeded shuffle of everyone, cut to size: a larger --shoppers extends a saved run
        chosen = ids.sample(frac=1.0, random_state=seed).tolist()[:shoppers]
        wanted = [c.strip() for c in channels.split(",") if c.strip()]
        saved: list[MessageScore] = []
        if out is not None and out.exists():
            saved = [MessageScore(**json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
            typer.echo(f"resuming: {len(saved)} messages already scored in {out}")
            saved = _fill_creative_personalized(saved, service, out)
        done = {(s.channel, s.language, s.shopper_id) for s in saved}
        writer = service.writer
        # a few shoppers at a time, every channel for them, each batch saved before the next starts:
        # a run cut short still has the same shoppers on every channel
        for start in range(0, len(chosen), EVAL_CHUNK):
            chunk = chosen[start : start + EVAL_CHUNK]
            for channel in wanted:
                todo = [s for s in chunk if (channel, language, s) not in done]
                if not todo:
                    continue
                briefs = [service.brief(s, channel, language) for s in todo]
                copies = writer.write_many(briefs)
                scores = [score for brief, v in zip(briefs, copies) for score in score_messages(brief, v)]
                saved.extend(scores)
                if out is not None:
                    with out.open("a", encoding="utf-8") as handle:
                        handle.write(_jsonl(scores))
            typer.echo(f"  {min(start + EVAL_CHUNK, len(chosen))}/{len(chosen)} shoppers", err=True)
        wanted_ids = set(chosen)
        rows = []
        for channel in wanted:
            mine = [s for s in saved if s.channel == channel and s.language == language and s.shopper_id in wanted_ids]
            rows.append((copy_metrics(mine), statistics.median(s.seconds for s in mine) if mine else float("nan")))
            typer.echo(f"\n--- samples, {channel}/{language}")
            for score in [s for s in mine if s.variant == 0][:samples]:
                typer.echo(f"[shopper {score.shopper_id}{', fallback' if score.fallback else ''}]\n{score.text}\n")
        typer.echo(f"\nCopy quality, {len(chosen)} shoppers, {writer.generator.name}, up to {variants} variants each")
        typer.echo("| channel | briefs | messages | factual errors | length ok | personalized | model lines personal "
                   "| distinct-2 | fallback | s/message mean | median |")
        typer.echo("|---|---|---|---|---|---|---|---|---|---|---|")
        for m, median in rows:
            typer.echo(
                f"| {m.channel}/{m.language} | {m.briefs} | {m.messages} | {m.factual_error_rate:.1%} | {m.length_compliance:.1%} | "
                f"{m.personalization_rate:.1%} | {m.creative_personalization_rate:.1%} | {m.distinct_2:.2f} | {m.fallback_rate:.1%} | "
                f"{m.seconds_per_message:.1f} | {median:.1f} |"
            )
        stats = writer.stats
        if stats["candidates"]:
            top = ", ".join(f"{k[7:]} {v}" for k, v in stats.most_common() if k.startswith("failed:"))
            typer.echo(
                f"\nBefore guardrails (this run): {stats['candidates']} samples, {stats['parsed'] / stats['candidates']:.0%} parsed, "
                f"{stats['passed'] / stats['candidates']:.0%} passed every check; failures by check: {top or 'none'}"
            )
            by_rule = ", ".join(f"{k[5:]} {v}" for k, v in stats.most_common() if k.startswith("rule:"))
            typer.echo(f"Failures by rule (contentgen/generate/rules/*.yaml): {by_rule or 'none'}; "
                       f"fallbacks that failed a check: {stats['fallback_failed']}, briefs in error: {stats['errors']}")
