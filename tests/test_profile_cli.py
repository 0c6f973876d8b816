"""`contentgen profile` and `contentgen segments` on the bundled demo shop."""

from __future__ import annotations

from typer.testing import CliRunner

from contentgen.cli import app
from contentgen.profile import SEGMENTS

runner = CliRunner()


def test_segments_prints_counts_and_clusters(demo_shop):
    result = runner.invoke(app, ["segments", "--examples", "1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = {line.split()[0]: line.split()[1] for line in lines if line.split() and line.split()[0] in SEGMENTS}
    assert list(table) == list(SEGMENTS)
    assert sum(int(n.replace(",", "")) for n in table.values()) == demo_shop.shoppers["shopper_id"].nunique()
    assert "behavioural clusters (silhouette" in result.output
    assert "Cluster 0 (" in result.output and "leans to" in result.output
    assert "categories are derived:keywords" in result.output
    assert "favourite products:" in result.output  # the --examples profiles


def test_profile_of_one_shopper(demo_shop):
    shopper = demo_shop.purchases["shopper_id"].value_counts().index[0]
    result = runner.invoke(app, ["profile", "--shopper", shopper])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Shopper {shopper} (")
    assert "RFM score" in result.output and "favourite derived categories" in result.output


def test_profile_of_an_unknown_shopper_is_a_cold_start():
    result = runner.invoke(app, ["profile", "--shopper", "no-such-id"])
    assert result.exit_code == 0
    assert "Shopper no-such-id: cold_start" in result.output
    assert "never seen by this shop" in result.output


def test_propensity_command_on_the_demo_shop():
    result = runner.invoke(app, ["propensity", "--data", "demo", "--cutoff", "2011-06-01"])
    assert result.exit_code == 0, result.output
    assert "purchase in the 90 days after 2011-06-01" in result.output
    assert "RFM-only logistic    AUC 0." in result.output
    assert "calibration on the held-out period" in result.output and "observed_rate" in result.output
