"""ProductIndex: product vectors in FAISS under stable ids, with a manifest, saved to a folder.

FAISS keys vectors by int64; products are keyed by strings. The index owns that mapping (an id,
once given, is never reused) and the text each vector was made from, so a catalog can be
re-indexed incrementally and a saved index says exactly what it holds.

Index kinds: "flat" (exact inner product), "ivf" (inverted lists, approximate; needs training),
"hnsw" (graph, approximate; FAISS cannot delete from it, so removals are tombstones that
searches skip). Vectors are unit length, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Collection, Iterable, Sequence

import numpy as np
import pandas as pd

from contentgen.errors import IndexMismatchError, NotFittedError
from contentgen.retrieval.candidates import Candidates
from contentgen.retrieval.config import IndexConfig

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
FAISS_FILE = "index.faiss"
PRODUCTS_FILE = "products.parquet"
TOMBSTONES_FILE = "tombstones.npy"


@dataclass(frozen=True)
class IndexManifest:
    """What a saved index holds and how it was built."""

    model_name: str
    dimension: int
    count: int
    index_type: str
    data_checksum: str
    created_at: str
    updated_at: str
    next_id: int
    params: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "IndexManifest":
        data = json.loads(text)
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


def data_checksum(texts: dict[str, str]) -> str:
    """sha256 of the (product id, text) pairs, independent of insertion order."""
    digest = hashlib.sha256()
    for product_id in sorted(texts):
        digest.update(f"{product_id}\t{texts[product_id]}\n".encode())
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_nlist(count: int) -> int:
    """IVF list count: about 2 * sqrt(n), with at least 39 training points per list."""
    return int(max(1, min(2 * math.sqrt(max(count, 1)), count // 39, 16384)))


def default_nprobe(nlist: int) -> int:
    """Lists probed per query: a fifth of them, in [8, 256] (see bench/RESULTS.md for the trade)."""
    return int(min(nlist, max(8, min(256, nlist // 5))))


class ProductIndex:
    """A FAISS index of unit product vectors keyed by product id."""

    def __init__(self, faiss_index, *, model_name: str, dimension: int, kind: str,
                 config: IndexConfig, created_at: str | None = None) -> None:
        self._index = faiss_index
        self.model_name = model_name
        self.dimension = dimension
        self.kind = kind
        self.config = config
        self.created_at = created_at or _now()
        self._id_of: dict[str, int] = {}
        self._product_of: dict[int, str] = {}
        self._texts: dict[str, str] = {}
        self._tombstones: set[int] = set()
        self._next_id = 0

    # A fitted recommender holding this index is saved with pickle (contentgen.fitted); FAISS
    # objects do not pickle, so the index travels as FAISS's own serialised bytes.
    def __getstate__(self) -> dict:
        import faiss

        state = self.__dict__.copy()
        state["_index"] = faiss.serialize_index(self._index)
        return state

    def __setstate__(self, state: dict) -> None:
        import faiss

        state = dict(state)
        state["_index"] = faiss.deserialize_index(state["_index"])
        self.__dict__.update(state)
        if self.kind == "ivf":
            self._ivf().nprobe = self.nprobe

    # ----------------------------------------------------------------- building
    @classmethod
    def build(
        cls,
        product_ids: Sequence[str],
        vectors: np.ndarray,
        *,
        model_name: str,
        texts: Sequence[str] | None = None,
        config: IndexConfig | None = None,
    ) -> "ProductIndex":
        """Index ``vectors`` (one unit row per product id); the kind follows ``config``."""
        config = config or IndexConfig()
        vectors = _as_matrix(vectors)
        if len(product_ids) != len(vectors):
            raise ValueError(f"{len(product_ids)} product ids but {len(vectors)} vectors")
        kind = config.resolve_kind(len(product_ids))
        dimension = vectors.shape[1]
        faiss_index = _new_faiss_index(kind, dimension, vectors, config)
        index = cls(faiss_index, model_name=model_name, dimension=dimension, kind=kind,
                    config=config)
        index.add(product_ids, vectors, texts=texts)
        log.info("built %s index of %d products (%s, %d-d)", kind, len(index), model_name,
                 dimension)
        return index

    def add(self, product_ids: Sequence[str], vectors: np.ndarray,
            texts: Sequence[str] | None = None) -> None:
        """Add new products (ValueError if one is already indexed: use ``upsert``)."""
        vectors = self._check_vectors(product_ids, vectors)
        present = [pid for pid in product_ids if pid in self._id_of]
        duplicated = len(set(product_ids)) != len(product_ids)
        if present or duplicated:
            raise ValueError(
                f"already indexed or repeated: {sorted(set(present))[:5] or 'repeated ids'}; "
                "use upsert() to replace vectors"
            )
        if len(product_ids) == 0:
            return
        ids = np.arange(self._next_id, self._next_id + len(product_ids), dtype=np.int64)
        self._index.add_with_ids(vectors, ids)
        self._next_id += len(product_ids)
        for pid, int_id in zip(product_ids, ids.tolist()):
            self._id_of[pid] = int_id
            self._product_of[int_id] = pid
        for pid, text in zip(product_ids, texts if texts is not None else [""] * len(product_ids)):
            self._texts[pid] = text

    def remove(self, product_ids: Iterable[str]) -> int:
        """Remove products (KeyError naming unknown ids); returns how many were removed."""
        product_ids = list(dict.fromkeys(product_ids))
        unknown = [pid for pid in product_ids if pid not in self._id_of]
        if unknown:
            raise KeyError(f"not in the index: {unknown[:5]} ({len(unknown)} in all)")
        if not product_ids:
            return 0
        ids = np.array([self._id_of[pid] for pid in product_ids], dtype=np.int64)
        if self.kind == "hnsw":
            self._tombstones.update(ids.tolist())
        else:
            import faiss

            # FAISS's hash direct map (IVF) removes only through an explicit id array
            selector = faiss.IDSelectorArray(ids)
            removed = self._index.remove_ids(selector)
            if removed != len(ids):  # pragma: no cover - would mean the id map is corrupt
                raise RuntimeError(f"FAISS removed {removed} of {len(ids)} vectors")
        for pid, int_id in zip(product_ids, ids.tolist()):
            del self._id_of[pid]
            del self._product_of[int_id]
            del self._texts[pid]
        return len(product_ids)

    def upsert(self, product_ids: Sequence[str], vectors: np.ndarray,
               texts: Sequence[str] | None = None) -> None:
        """Add products, replacing the vectors of those already indexed."""
        self.remove([pid for pid in product_ids if pid in self._id_of])
        self.add(product_ids, vectors, texts=texts)

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self._id_of)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._id_of

    @property
    def product_ids(self) -> tuple[str, ...]:
        """Indexed product ids, in the order they were added."""
        return tuple(sorted(self._id_of, key=self._id_of.__getitem__))

    @property
    def texts(self) -> dict[str, str]:
        """The text each product's vector was made from."""
        return dict(self._texts)

    def vector(self, product_id: str) -> np.ndarray:
        """The stored vector of one product."""
        if product_id not in self._id_of:
            raise KeyError(f"product {product_id!r} is not in the index")
        return self._index.reconstruct(self._id_of[product_id])

    def search(
        self,
        queries: np.ndarray,
        k: int = 10,
        *,
        allowed: Collection[str] | None = None,
        excluded: Collection[str] | None = None,
    ) -> list[Candidates]:
        """Top-``k`` products per query row, best first.

        ``allowed`` limits results to those ids, ``excluded`` removes ids; both are applied
        inside FAISS, so a filter never leaves fewer than ``k`` hits when ``k`` qualify.
        """
        import faiss

        queries = _as_matrix(queries)
        if queries.shape[1] != self.dimension:
            raise IndexMismatchError(
                f"query vectors have {queries.shape[1]} dimensions, the index {self.dimension} "
                f"({self.model_name}): embed queries with the index's model"
            )
        if len(self) == 0 or k <= 0:
            return [Candidates((), np.zeros(0, dtype=np.float32), "search") for _ in queries]
        if allowed is not None and self.kind != "flat":
            subset = [pid for pid in dict.fromkeys(allowed)
                      if pid in self._id_of and not (excluded and pid in excluded)]
            # approximate search under a tight filter misses hits (few graph neighbours or
            # probed lists qualify); scoring a small subset exactly is both right and cheap
            if len(subset) <= max(self.config.exact_subset_max, k):
                return self._search_exact_subset(queries, k, subset)
        params, keep_alive = self._search_params(allowed, excluded)
        with _single_thread_if(len(queries) < _PARALLEL_MIN_QUERIES):
            scores, labels = self._index.search(queries, min(k, self._index.ntotal),
                                                params=params)
        del keep_alive
        results = []
        for row_scores, row_labels in zip(scores, labels):
            hits = [(self._product_of[label], score) for label, score
                    in zip(row_labels.tolist(), row_scores.tolist())
                    if label >= 0 and label in self._product_of]
            results.append(Candidates(
                tuple(pid for pid, _ in hits),
                np.array([score for _, score in hits], dtype=np.float32),
                "search",
            ))
        return results

    def _search_exact_subset(self, queries: np.ndarray, k: int,
                             subset: list[str]) -> list[Candidates]:
        if not subset:
            return [Candidates((), np.zeros(0, dtype=np.float32), "search") for _ in queries]
        matrix = np.stack([self.vector(pid) for pid in subset])
        scores = queries @ matrix.T
        results = []
        for row in scores:
            top = np.argsort(-row, kind="stable")[:k]
            results.append(Candidates(tuple(subset[i] for i in top), row[top].astype(np.float32),
                                      "search"))
        return results

    def _search_params(self, allowed, excluded):
        import faiss

        selector = None
        if allowed is not None:
            ids = [self._id_of[pid] for pid in allowed if pid in self._id_of]
            selector = faiss.IDSelectorBatch(np.array(ids or [-2], dtype=np.int64))
            keep = [selector]
        else:
            drop = set(self._tombstones)
            if excluded:
                drop.update(self._id_of[pid] for pid in excluded if pid in self._id_of)
            keep = []
            if drop:
                inner = faiss.IDSelectorBatch(np.fromiter(drop, dtype=np.int64, count=len(drop)))
                selector = faiss.IDSelectorNot(inner)
                keep = [inner, selector]
        if allowed is not None and excluded:
            # an allowed list already leaves tombstones out; subtract the exclusions from it
            excluded_set = set(excluded)
            ids = [self._id_of[pid] for pid in allowed
                   if pid in self._id_of and pid not in excluded_set]
            selector = faiss.IDSelectorBatch(np.array(ids or [-2], dtype=np.int64))
            keep = [selector]
        if self.kind == "ivf":
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self.nprobe)
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=self.config.hnsw_ef_search)
        elif selector is not None:
            params = faiss.SearchParameters(sel=selector)
        else:
            params = None
        return params, keep

    @property
    def nprobe(self) -> int:
        """IVF lists probed per query (the setting, else the default for the list count)."""
        if self.kind != "ivf":
            raise AttributeError("nprobe exists only for IVF indexes")
        return self.config.ivf_nprobe or default_nprobe(int(self._ivf().nlist))

    def tune(self, *, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Change search-time accuracy/speed: IVF lists probed, HNSW candidate list size."""
        changes = {}
        if nprobe is not None:
            changes["ivf_nprobe"] = nprobe
        if ef_search is not None:
            changes["hnsw_ef_search"] = ef_search
        self.config = replace(self.config, **changes)

    def _check_vectors(self, product_ids: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        vectors = _as_matrix(vectors)
        if len(product_ids) != len(vectors):
            raise ValueError(f"{len(product_ids)} product ids but {len(vectors)} vectors")
        if len(vectors) and vectors.shape[1] != self.dimension:
            raise IndexMismatchError(
                f"vectors have {vectors.shape[1]} dimensions but the index holds "
                f"{self.dimension}-d vectors of {self.model_name}"
            )
        return vectors

    # ----------------------------------------------------------------- disk
    @property
    def manifest(self) -> IndexManifest:
        """The manifest as of now."""
        params: dict = {}
        if self.kind == "ivf":
            params = {"nlist": int(self._ivf().nlist), "nprobe": self.nprobe}
        elif self.kind == "hnsw":
            params = {"m": self.config.hnsw_m, "ef_search": self.config.hnsw_ef_search,
                      "tombstones": len(self._tombstones)}
        return IndexManifest(
            model_name=self.model_name,
            dimension=self.dimension,
            count=len(self),
            index_type=self.kind,
            data_checksum=data_checksum(self._texts),
            created_at=self.created_at,
            updated_at=_now(),
            next_id=self._next_id,
            params=params,
        )

    def save(self, directory: str | os.PathLike[str]) -> IndexManifest:
        """Write the index, its product table and manifest into ``directory``."""
        import faiss

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        manifest = self.manifest
        faiss.write_index(self._index, str(directory / (FAISS_FILE + ".tmp")))
        os.replace(directory / (FAISS_FILE + ".tmp"), directory / FAISS_FILE)
        ids = self.product_ids
        table = pd.DataFrame({
            "product_id": pd.Series(ids, dtype="string"),
            "faiss_id": pd.Series([self._id_of[pid] for pid in ids], dtype="int64"),
            "text": pd.Series([self._texts[pid] for pid in ids], dtype="string"),
        })
        table.to_parquet(directory / PRODUCTS_FILE, index=False)
        np.save(directory / TOMBSTONES_FILE, np.array(sorted(self._tombstones), dtype=np.int64))
        # the manifest goes last: a folder with a manifest is a complete index
        (directory / MANIFEST_FILE).write_text(manifest.to_json() + "\n")
        log.info("saved %s index of %d products to %s", self.kind, len(self), directory)
        return manifest

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        *,
        expect_model: str | None = None,
        expect_dimension: int | None = None,
        config: IndexConfig | None = None,
    ) -> "ProductIndex":
        """Read a saved index; IndexMismatchError if it was built with another model."""
        import faiss

        manifest = read_manifest(directory)
        directory = Path(directory)
        if expect_model is not None and manifest.model_name != expect_model:
            raise IndexMismatchError(
                f"index {directory} was built with model {manifest.model_name!r}, not "
                f"{expect_model!r}: rebuild it with `contentgen index build --rebuild --model "
                f"{expect_model}` or use model {manifest.model_name!r}"
            )
        if expect_dimension is not None and manifest.dimension != expect_dimension:
            raise IndexMismatchError(
                f"index {directory} holds {manifest.dimension}-d vectors, the embedder makes "
                f"{expect_dimension}-d ones: rebuild the index with the current model"
            )
        base = config or IndexConfig()
        params = manifest.params
        config = IndexConfig(
            kind=manifest.index_type,
            exact_max=base.exact_max,
            ivf_nlist=params.get("nlist", base.ivf_nlist),
            ivf_nprobe=params.get("nprobe", base.ivf_nprobe) if config is None else base.ivf_nprobe,
            hnsw_m=params.get("m", base.hnsw_m),
            hnsw_ef_construction=base.hnsw_ef_construction,
            hnsw_ef_search=params.get("ef_search", base.hnsw_ef_search)
            if config is None else base.hnsw_ef_search,
            exact_subset_max=base.exact_subset_max,
            seed=base.seed,
        )
        faiss_index = faiss.read_index(str(directory / FAISS_FILE))
        if faiss_index.d != manifest.dimension:
            raise IndexMismatchError(
                f"{directory / FAISS_FILE} holds {faiss_index.d}-d vectors but its manifest "
                f"says {manifest.dimension}: the folder is inconsistent, rebuild the index"
            )
        index = cls(faiss_index, model_name=manifest.model_name, dimension=manifest.dimension,
                    kind=manifest.index_type, config=config, created_at=manifest.created_at)
        table = pd.read_parquet(directory / PRODUCTS_FILE)
        for pid, int_id, text in zip(table["product_id"].tolist(), table["faiss_id"].tolist(),
                                     table["text"].tolist()):
            index._id_of[pid] = int(int_id)
            index._product_of[int(int_id)] = pid
            index._texts[pid] = text
        tombstones = directory / TOMBSTONES_FILE
        if tombstones.exists():
            index._tombstones = set(np.load(tombstones).tolist())
        index._next_id = manifest.next_id
        if index.kind == "ivf":
            index._ivf().nprobe = index.nprobe
        if len(index) != manifest.count:
            raise IndexMismatchError(
                f"{directory}: manifest counts {manifest.count} products, the table "
                f"{len(index)}; the folder is inconsistent, rebuild the index"
            )
        return index

    def _ivf(self):
        import faiss

        return faiss.extract_index_ivf(self._index)


def read_manifest(directory: str | os.PathLike[str]) -> IndexManifest:
    """The manifest of a saved index (NotFittedError if the folder holds none)."""
    path = Path(directory) / MANIFEST_FILE
    if not path.exists():
        raise NotFittedError(
            f"no index in {Path(directory)} (no {MANIFEST_FILE}): build one with "
            "`contentgen index build`"
        )
    return IndexManifest.from_json(path.read_text())


# FAISS parallelises over queries; a handful of queries gains nothing from threads, and on a
# busy machine its spinning OpenMP workers made one flat query 40x slower (60 ms vs 1.4 ms)
_PARALLEL_MIN_QUERIES = 20


@contextmanager
def _single_thread_if(condition: bool):
    if not condition:
        yield
        return
    import faiss

    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    return np.ascontiguousarray(vectors)


def _new_faiss_index(kind: str, dimension: int, vectors: np.ndarray, config: IndexConfig):
    import faiss

    if kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if kind == "hnsw":
        graph = faiss.IndexHNSWFlat(dimension, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = config.hnsw_ef_construction
        graph.hnsw.efSearch = config.hnsw_ef_search
        return faiss.IndexIDMap2(graph)
    if kind == "ivf":
        nlist = config.ivf_nlist or default_nlist(len(vectors))
        if len(vectors) < nlist:
            raise ValueError(
                f"an IVF index of {nlist} lists needs at least {nlist} training vectors, got "
                f"{len(vectors)}: use kind='flat' for a catalog this small"
            )
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        index.own_fields = True
        quantizer.this.disown()
        # k-means cost grows with the sample: 50 points per list is plenty for centroids
        rng = np.random.default_rng(config.seed)
        sample_size = min(len(vectors), 50 * nlist)
        sample = vectors[np.sort(rng.choice(len(vectors), sample_size, replace=False))]
        index.cp.seed = config.seed
        index.train(sample)
        index.nprobe = config.ivf_nprobe or default_nprobe(nlist)
        # a hash direct map lets us remove by id and reconstruct one vector
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        return index
    raise ValueError(f"unknown index kind {kind!r}")
