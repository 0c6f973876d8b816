"""`contentgen index build|info|search`: the product embedding index in the project's [index] folder."""

from __future__ import annotations

from pathlib import Path

import typer

from contentgen.cli.common import DataOption, MappingOption, ProjectOption, project_from_options

index_app = typer.Typer(help="Build, inspect and query the product embedding index.",
                        no_args_is_help=True)

NameOption = typer.Option(None, "--name", help="Index name: <indexes-dir>/<name>/ (default: the project's [index] folder).")
DirOption = typer.Option(Path("indexes"), "--indexes-dir", help="Folder holding the named indexes (with --name).")


def _index_dir(project, indexes_dir: Path, name: str | None) -> Path:
    return indexes_dir / name if name else project.index_folder()


@index_app.command("build")
def build(
    project: Path = ProjectOption,
    data: str = DataOption,
    mapping: Path = MappingOption,
    name: str = NameOption,
    indexes_dir: Path = DirOption,
    model: str = typer.Option(None, "--model", help="Embedding model: a packaged model name or a local sentence-transformers folder ('hash' for tests); default: the project's [model] embedding."),
    kind: str = typer.Option("auto", "--kind", help="Index kind: auto, flat (exact), ivf or hnsw."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Embedding cache folder (default: the project's [index] cache)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild from scratch instead of syncing an existing index."),
    threads: int = typer.Option(None, "--threads", help="Torch threads while encoding (default: torch's; 1 is faster on a busy machine)."),
) -> None:
    """Embed the catalog and save the index; an existing index is synced (only changes are encoded)."""
    import time

    from contentgen.retrieval import (CachedEmbedder, EmbeddingCache, IndexConfig, ProductIndex,
                                      RetrievalConfig, build_index, make_embedder, sync_index)
    from contentgen.retrieval.index import MANIFEST_FILE

    started = time.perf_counter()
    chosen = project_from_options(project, data, mapping)
    model = model or chosen.model.embedding
    cache_dir = cache_dir or chosen.cache_folder()
    config = RetrievalConfig(model=model, cache_dir=str(cache_dir), index=IndexConfig(kind=kind))
    shop = chosen.load_shop()
    embedder = CachedEmbedder(make_embedder(model, threads=threads), EmbeddingCache(cache_dir))
    target = _index_dir(chosen, indexes_dir, name)
    if (target / MANIFEST_FILE).exists() and not rebuild:
        index = ProductIndex.load(target, expect_model=embedder.name,
                                  expect_dimension=embedder.dimension)
        report = sync_index(index, shop.catalog, embedder, config, show_progress=True)
        typer.echo(f"synced {target}: {len(report.added)} added, {len(report.updated)} updated, "
                   f"{len(report.removed)} removed")
    else:
        index = build_index(shop.catalog, embedder, config, show_progress=True)
    manifest = index.save(target)
    typer.echo(f"{target}: {manifest.count:,} products, {manifest.index_type}, {manifest.model_name} "
               f"({manifest.dimension}-d); encoded {embedder.encoded:,} texts, "
               f"{time.perf_counter() - started:.1f}s")


@index_app.command("info")
def info(
    name: str = NameOption,
    indexes_dir: Path = DirOption,
    project: Path = ProjectOption,
) -> None:
    """Print an index's manifest."""
    from contentgen.retrieval import read_manifest

    typer.echo(read_manifest(_index_dir(project_from_options(project), indexes_dir, name)).to_json())


@index_app.command("search")
def search(
    query: str = typer.Argument(..., help="Free text, e.g. 'christmas lights'."),
    name: str = NameOption,
    indexes_dir: Path = DirOption,
    project: Path = ProjectOption,
    k: int = typer.Option(10, "-k", "--top", help="How many products to show."),
    model: str = typer.Option(None, "--model", help="Refuse the index unless it was built with this model."),
) -> None:
    """Print the products whose text is closest to a query."""
    from contentgen.retrieval import ProductIndex, make_embedder, read_manifest

    from contentgen.errors import IndexMismatchError

    folder = _index_dir(project_from_options(project), indexes_dir, name)
    manifest = read_manifest(folder)
    if model is not None and model != manifest.model_name:
        # refuse before loading a model that could take seconds to read
        raise IndexMismatchError(
            f"index {folder} was built with model {manifest.model_name!r}, not {model!r}: "
            f"rebuild it with `contentgen index build{f' --name {name}' if name else ''} --model {model} --rebuild`"
        )
    embedder = make_embedder(model or manifest.model_name)
    index = ProductIndex.load(folder, expect_model=embedder.name,
                              expect_dimension=embedder.dimension)
    hits = index.search(embedder.encode([query]), k)[0]
    texts = index.texts
    for rank, (product_id, score) in enumerate(zip(hits.product_ids, hits.scores), start=1):
        typer.echo(f"{rank:>3}  {score:6.3f}  {product_id:<10}  {texts[product_id]}")


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")
