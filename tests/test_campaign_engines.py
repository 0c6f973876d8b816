"""Exactly-once under SIGKILL (a real `contentgen campaign run` subprocess, both engines), and the
Ray engine writing what the local engine writes for the same seed."""

from __future__ import annotations

import functools
import os
from pathlib import Path
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from contentgen.campaign import CampaignSettings, read_audience, run_campaign, screen_audience, synth_audience
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.service import ContentService, ServiceSettings

REPO = Path(__file__).resolve().parents[1]
ADDRESS = "1 High Street, London N1 1AA"
PROJECT = """[data]
folder = "demo"

[model]
backend = "echo"
content = false
"""


def _written(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as connection:
            return connection.execute("select count(*) from campaign_recipients").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or locked by the writer for a moment
        return 0


def _command(tmp_path: Path, audience: Path, engine: str) -> list[str]:
    return [sys.executable, "-m", "contentgen.cli", "campaign", "run", "--project", str(tmp_path / "contentgen.toml"),
            "--audience", str(audience), "--name", "kill test", "--out", str(tmp_path / "out"), "--esp", "mailchimp",
            "--postal-address", ADDRESS, "--db", str(tmp_path / "campaigns.db"), "--chunk", "10", "--no-progress",
            "--engine", engine, "--cohort", "segment"]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_run_killed_midway_resumes_with_each_recipient_exactly_once(demo_shop, tmp_path, engine):
    (tmp_path / "contentgen.toml").write_text(PROJECT, encoding="utf-8")
    audience = tmp_path / "list.csv"
    synth_audience(demo_shop.shoppers["shopper_id"], 1500, seed=7).to_csv(audience, index=False)
    eligible = set(screen_audience(read_audience(audience, "email"), "email").eligible["address"])
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    command = _command(tmp_path, audience, engine)
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 900
    while _written(tmp_path / "campaigns.db") < 20 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _written(tmp_path / "campaigns.db")
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()[-2000:]
    assert 0 < before < len(eligible), "the run was not killed midway"
    assert not (tmp_path / "out" / "messages.csv").exists()  # nothing half-written to ship
    finished = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "resumed" in finished.stdout
    messages = pd.read_csv(tmp_path / "out" / "messages.csv", dtype=str, keep_default_na=False)
    errors = pd.read_csv(tmp_path / "out" / "errors.csv", dtype=str, keep_default_na=False)
    addresses = list(messages["Email Address"]) + list(errors["address"])
    assert len(addresses) == len(set(addresses)) == len(eligible) and set(addresses) == eligible
    assert messages["message_id"].is_unique
    assert _written(tmp_path / "campaigns.db") == len(eligible)
    with sqlite3.connect(tmp_path / "campaigns.db") as connection:
        stored = connection.execute("select count(*), count(distinct shopper_id || id) from messages").fetchone()
    assert stored[0] == len(messages)


HOOK = '{"subject": "Cosy picks for your home", "hook": "A few favourites we think you will enjoy.", "cta": "Take a look"}'
OTHER = '{"subject": "Something lovely for you", "hook": "Little treats to brighten your week.", "cta": "See them"}'


def _scripted(prompt, index, settings):
    return HOOK if index % 2 == 0 else OTHER


def scripted_generator():
    return EchoGenerator(_scripted, name="scripted")


@pytest.mark.slow
def test_ray_and_local_engines_write_the_same_campaign_for_the_same_seed(demo_shop, tmp_path):
    import ray

    # the workers import this test module by value: it is not an installed package
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    service = ContentService(demo_shop, ServiceSettings(content=False), generator=scripted_generator())
    audience = tmp_path / "list.csv"
    synth_audience(demo_shop.shoppers["shopper_id"], 120, seed=5).to_csv(audience, index=False)
    outputs = {}
    for engine in ("local", "ray"):
        folder = tmp_path / engine
        folder.mkdir()
        settings = CampaignSettings(name="same seed", out_dir=folder / "out", store=str(folder / "c.db"), engine=engine,
                                    esp="klaviyo", postal_address=ADDRESS, seed=3, cohort="interest", chunk_size=16)
        result = run_campaign(service, audience, settings, generator_factory=functools.partial(scripted_generator))
        outputs[engine] = pd.read_csv(result.files["messages.csv"], dtype=str, keep_default_na=False)
        assert result.model_calls > 0 and result.ready > 0
    assert outputs["local"].equals(outputs["ray"])
    assert set(outputs["ray"]["variant"]) >= {"A", "B"}
