"""The command line: help is instant and explains itself, the demo runs end to end, errors are one line."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from contentgen.cli import app


def test_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("load", "demo", "segments", "profile", "index", "evaluate", "generate", "report", "feedback", "offers"):
        assert command in result.output


def test_import_stays_light():
    # `contentgen --help` must not pay for torch, faiss or gradio.
    code = "import sys, contentgen.cli; print(sorted(m for m in ('torch','faiss','gradio','transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_demo_runs_end_to_end_on_the_demo_shop():
    result = CliRunner().invoke(app, ["demo", "--shoppers", "2", "--backend", "echo", "--channel", "sms"])
    assert result.exit_code == 0, result.output
    assert "Lifecycle segments" in result.output and "Behavioural clusters: k=" in result.output
    assert result.output.count("Recommended:") == 2
    assert "[variant 1 · fallback template" in result.output


def test_load_reports_rules_and_writes_rejects(tmp_path):
    out = tmp_path / "rejects.csv"
    result = CliRunner().invoke(app, ["load", "--rejects", str(out)])
    assert result.exit_code == 0, result.output
    assert "exact_duplicates" in result.output and "overlap_between_files" in result.output
    assert out.is_file() and out.stat().st_size > 0
