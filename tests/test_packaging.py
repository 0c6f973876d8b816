"""contentgen as an installed package: the wheel carries its prompts, mappings, offers and demo shop,
and runs `contentgen init` and `contentgen demo` far from the repository.

Slow (a wheel build and two installs). Torch and the other dependencies are not reinstalled: the
fresh virtualenvs see this interpreter's site-packages through a .pth line, which adds the folder
to sys.path without running the .pth files inside it, so the repository's own (editable)
contentgen is not importable there; the test checks that too.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import sys
import sysconfig
import time

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "contentgen", "prompts")

pytestmark = pytest.mark.slow


def _run(args, cwd: Path, timeout: int = 300) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HF_HUB_OFFLINE="1", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    started = time.perf_counter()
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    print(f"{time.perf_counter() - started:6.1f}s  {' '.join(map(str, args))[-100:]}")  # shown with -s or on failure
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _source_copy(tmp: Path) -> Path:
    # build from a copy: the checkout stays free of build/ and egg-info, and untracked junk stays out
    src = tmp / "src"
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / name)
    return src


def _venv(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "zz_shared_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _pip(python: Path, *args, cwd: Path) -> str:
    return _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", *args], cwd=cwd)


def test_the_wheel_installs_elsewhere_and_runs_init_and_the_demo(tmp_path):
    src = _source_copy(tmp_path)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", src], cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("contentgen-*.whl"))
    python = _venv(tmp_path / "venv")
    _pip(python, wheel, cwd=tmp_path)
    run = tmp_path / "elsewhere"
    run.mkdir()

    where = _run([python, "-c", "import contentgen, contentgen.resources as r; print(contentgen.__file__); print(r.prompts_dir())"], cwd=run)
    package, prompts = where.split()[:2]
    assert package.startswith(str(tmp_path / "venv")), f"imported {package}, not the installed wheel"
    assert prompts.startswith(str(tmp_path / "venv")) and sorted(p.name for p in Path(prompts).glob("*.j2")) == sorted(
        p.name for p in (REPO / "prompts").glob("*.j2"))

    contentgen = tmp_path / "venv" / "bin" / "contentgen"
    out = _run([contentgen, "init"], cwd=run)
    assert "wrote contentgen.toml" in out and (run / "contentgen.toml").is_file()
    # the fast test embedder instead of embedding the whole demo catalog with the real model
    project = run / "contentgen.toml"
    project.write_text(project.read_text().replace('embedding = "all-MiniLM-L6-v2"', 'embedding = "hash"'))
    out = _run([contentgen, "demo", "--backend", "echo", "--shoppers", "1"], cwd=run)
    assert "Lifecycle segments" in out and "Recommended:" in out
    assert "fallback template" in out and "The Gift Shop" in out  # the shipped prompts and the project's voice
    assert (run / "indexes" / "demo" / "manifest.json").is_file()  # the project's index folder, saved


def test_an_editable_install_reads_the_top_level_prompts_folder(tmp_path):
    src = _source_copy(tmp_path)
    python = _venv(tmp_path / "venv")
    _pip(python, "--no-build-isolation", "-e", src, cwd=tmp_path)
    code = ("import contentgen.resources as r; from contentgen.generate.prompts import TemplateLibrary; "
            "print(r.prompts_dir()); print(len(TemplateLibrary.load().names))")
    folder, count = _run([python, "-c", code], cwd=tmp_path).split()[:2]
    assert Path(folder) == src / "prompts" and int(count) == len(list((REPO / "prompts").glob("*.j2")))
