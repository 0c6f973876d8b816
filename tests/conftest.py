"""Shared fixtures: the bundled demo slice (fast) and the full real shop (slow tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REAL_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online-retail"
MOVIELENS_DIR = REAL_DATA_DIR.parent / "movielens-100k"


@pytest.fixture(scope="session")
def demo_shop():
    from contentgen.data import load_demo_shop

    return load_demo_shop()


@pytest.fixture(scope="session")
def real_shop():
    from contentgen.data import load_real_shop

    if not REAL_DATA_DIR.is_dir():
        pytest.fail(f"the real dataset is missing at {REAL_DATA_DIR}: slow tests need ../shared/data")
    return load_real_shop(REAL_DATA_DIR)
