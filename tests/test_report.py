"""Campaign report numbers checked by hand on a small case, its charts, HTML, and the CLI loop."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from contentgen.cli import app
from contentgen.errors import DataError
from contentgen.store import build_report, open_store
from contentgen.store.report_html import render_html
from contentgen.store.stats import chi_square_p, two_proportion_test, wilson_interval


def _small_case() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A: 10 sent, 3 clicked, 1 converted (20.00). B: 10 sent, 6 clicked, 3 converted (3 × 25.00),
    one of them with 20% off (paid 25 -> discount 25 × 20 / 80 = 6.25)."""
    messages = pd.DataFrame({
        "message_id": [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)],
        "variant": ["A"] * 10 + ["B"] * 10,
        "segment": (["loyal"] * 5 + ["at_risk"] * 5) * 2,
        "offer_kind": [""] * 10 + ["percent_off"] + [""] * 9,
        "offer_value": [0.0] * 10 + [20.0] + [0.0] * 9,
    })
    rows = [(m, "delivered", 0.0) for m in messages["message_id"]]
    rows += [("a0", "clicked", 0.0), ("a0", "clicked", 0.0), ("a1", "clicked", 0.0), ("a5", "clicked", 0.0),
             ("a0", "converted", 20.0)]
    rows += [(f"b{i}", "opened", 0.0) for i in range(8)]
    rows += [(f"b{i}", "clicked", 0.0) for i in (0, 1, 2, 3, 5, 6)]
    rows += [("b0", "converted", 25.0), ("b1", "converted", 25.0), ("b5", "converted", 25.0)]
    outcomes = pd.DataFrame(rows, columns=["message_id", "event_type", "revenue"])
    outcomes["occurred_at"] = pd.Timestamp("2011-12-01")
    return messages, outcomes


def test_wilson_and_z_test_against_hand_computation():
    # 3/10 at 95%: centre (0.3 + z²/20) / (1 + z²/10) = 0.35551, half-width 0.24772
    low, high = wilson_interval(3, 10)
    assert (low, high) == (pytest.approx(0.10779, abs=1e-5), pytest.approx(0.60322, abs=1e-5))
    assert wilson_interval(0, 0) != wilson_interval(0, 0)  # nan: no trials, no interval
    # 3/10 vs 6/10: pooled 0.45, se sqrt(0.45·0.55·0.2) = 0.22249, z = 1.3484, p = 0.17753
    test = two_proportion_test(3, 10, 6, 10)
    assert test.z == pytest.approx(1.34840, abs=1e-4)
    assert test.p_value == pytest.approx(0.17753, abs=1e-4)
    assert test.lift == pytest.approx(1.0)
    assert two_proportion_test(0, 10, 0, 10).p_value == 1.0
    # chi-square on a 2×2 without continuity correction equals z² of the pooled z-test
    assert chi_square_p([3, 6], [10, 10]) == pytest.approx(test.p_value, abs=1e-9)


def test_report_numbers_by_hand():
    messages, outcomes = _small_case()
    report = build_report("xmas", messages, outcomes, cost_per_message=0.5, with_figures=False)
    a, b = (report.by_variant.set_index("variant").loc[v] for v in ("A", "B"))
    assert (a["sent"], a["clicked"], a["converted"]) == (10, 3, 1)  # a0's two clicks count once
    assert a["opened"] == 3  # clicks imply opens even without an open event
    assert (b["sent"], b["opened"], b["clicked"], b["converted"]) == (10, 8, 6, 3)
    assert a["ctr"] == pytest.approx(0.3) and b["ctr"] == pytest.approx(0.6)
    assert (a["ctr_low"], a["ctr_high"]) == (pytest.approx(0.10779, abs=1e-5), pytest.approx(0.60322, abs=1e-5))
    assert a["cvr"] == pytest.approx(0.1) and b["cvr"] == pytest.approx(0.3)
    assert a["revenue"] == pytest.approx(20.0) and b["revenue"] == pytest.approx(75.0)
    assert a["cost"] == pytest.approx(5.0)  # 10 × 0.50
    assert b["cost"] == pytest.approx(5.0 + 6.25)  # plus the 20% discount on b0's order
    assert a["roi"] == pytest.approx((20 - 5) / 5)
    assert b["roi"] == pytest.approx((75 - 11.25) / 11.25)

    tests = report.ab_tests.set_index("metric")
    assert tests.loc["ctr", "p_value"] == pytest.approx(0.17753, abs=1e-4)
    # CVR 1/10 vs 3/10: pooled 0.2, se sqrt(0.2·0.8·0.2) = 0.17889, z = 1.1180, p = 0.26355
    assert tests.loc["cvr", "z"] == pytest.approx(1.11803, abs=1e-4)
    assert tests.loc["cvr", "p_value"] == pytest.approx(0.26355, abs=1e-4)
    assert not tests["significant"].any()
    assert report.control == "A"
    assert report.totals["sent"] == 20 and report.totals["ctr"] == pytest.approx(0.45)

    segments = report.by_segment.set_index("segment")
    assert segments.loc["loyal", "clicked"] == 2 + 4  # a0, a1 / b0..b3
    assert segments.loc["at_risk", "clicked"] == 1 + 2
    cell = report.by_variant_segment.set_index(["variant", "segment"]).loc[("B", "at_risk")]
    assert (cell["sent"], cell["clicked"], cell["converted"]) == (5, 2, 1)
    assert any("CTR B vs A: 60.00% vs 30.00%" in line for line in report.summary_lines())


def test_a_large_difference_is_significant():
    messages = pd.DataFrame({"message_id": [f"m{i}" for i in range(2000)], "variant": ["A"] * 1000 + ["B"] * 1000,
                             "segment": "loyal"})
    clicks = [f"m{i}" for i in range(30)] + [f"m{i}" for i in range(1000, 1080)]  # 3% vs 8%
    outcomes = pd.DataFrame({"message_id": clicks, "event_type": "clicked", "revenue": 0.0})
    report = build_report("big", messages, outcomes, with_figures=False)
    ctr = report.ab_tests.set_index("metric").loc["ctr"]
    assert ctr["significant"] and ctr["p_value"] < 1e-5
    assert report.omnibus_p["ctr"] == pytest.approx(ctr["p_value"], rel=1e-6)


def test_report_errors_name_the_fix():
    messages, outcomes = _small_case()
    with pytest.raises(DataError, match="control variant 'C'.*\\['A', 'B'\\]"):
        build_report("xmas", messages, outcomes, control="C", with_figures=False)
    with pytest.raises(DataError, match="no messages"):
        build_report("xmas", messages.iloc[:0], outcomes, with_figures=False)


def test_figures_and_html(tmp_path):
    messages, outcomes = _small_case()
    report = build_report("xmas", messages, outcomes, cost_per_message=0.5)
    assert set(report.figures) == {"rates", "revenue", "funnel", "segments"}
    report.figures["rates"].savefig(tmp_path / "rates.png")
    assert (tmp_path / "rates.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = render_html(report)
    assert page.count("data:image/png;base64,") == 4
    assert "A/B tests against A" in page and "<td>at_risk</td>" in page


def test_cli_import_report_and_next_split(tmp_path):
    db = tmp_path / "campaigns.db"
    messages, outcomes = _small_case()
    with open_store(db) as store:
        store.create_campaign("xmas", cost_per_message=0.5)
        store.add_variant("xmas", "A")
        store.add_variant("xmas", "B")
        store.add_messages("xmas", messages.assign(shopper_id=[str(12000 + i) for i in range(len(messages))]))
    export = tmp_path / "events.csv"
    timed = outcomes.assign(timestamp=[f"2011-12-01T09:{i // 60:02d}:{i % 60:02d}" for i in range(len(outcomes))])
    timed.rename(columns={"event_type": "event"})[["message_id", "event", "timestamp", "revenue"]].to_csv(export, index=False)

    runner = CliRunner()
    first = runner.invoke(app, ["feedback", "import", str(export), "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert f"{len(outcomes)} events added" in first.output  # every row has its own time, so none collapse
    again = runner.invoke(app, ["feedback", "import", str(export), "--db", str(db)])
    assert "0 events added" in again.output and "file seen before" in again.output

    out = tmp_path / "reports"
    shown = runner.invoke(app, ["report", "xmas", "--db", str(db), "--out", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "CTR B vs A: 60.00% vs 30.00%" in shown.output
    for name in ("report.html", "rates.png", "revenue.png", "funnel.png", "segments.png", "by_variant.csv", "ab_tests.csv"):
        assert (out / "xmas" / name).stat().st_size > 0
    by_variant = pd.read_csv(out / "xmas" / "by_variant.csv").set_index("variant")
    assert by_variant.loc["B", "roi"] == pytest.approx((75 - 11.25) / 11.25)

    split = runner.invoke(app, ["feedback", "next-split", "xmas", "--db", str(db), "-n", "1000"])
    assert split.exit_code == 0, split.output
    lines = {line.split()[0]: line.split() for line in split.output.splitlines()[1:] if line.strip()}
    assert int(lines["A"][-1]) + int(lines["B"][-1]) == 1000
    assert int(lines["B"][-1]) > int(lines["A"][-1])  # 6/10 clicks beats 3/10


def test_cli_offers_plan_and_validate(tmp_path):
    audience = tmp_path / "audience.csv"
    pd.DataFrame({"shopper_id": ["1", "2", "3"], "segment": ["at_risk", "new", "loyal"],
                  "propensity": [0.2, 0.3, 0.9], "avg_order_value": [120.0, 80.0, 300.0]}).to_csv(audience, index=False)
    out = tmp_path / "plan.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["offers", "plan", "--audience", str(audience), "--date", "2011-12-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ROI" in result.output and "winback-15" in result.output
    plan = pd.read_csv(out, dtype={"shopper_id": str}, keep_default_na=False).set_index("shopper_id")
    assert plan.loc["1", "offer_id"] == "winback-15" and plan.loc["1", "code"] == "COMEBACK15"
    assert plan.loc["1", "expires"] == "2011-12-15"
    valid = runner.invoke(app, ["offers", "validate"])
    assert valid.exit_code == 0 and "5 offers" in valid.output


def test_report_and_split_before_any_outcome(tmp_path):
    from contentgen.store import BanditConfig, next_split

    messages = pd.DataFrame({"message_id": ["a", "b"], "variant": ["A", "B"], "segment": ["new", "new"]})
    empty = pd.DataFrame(columns=["message_id", "event_type", "revenue", "occurred_at"])
    report = build_report("x", messages, empty)
    assert report.by_variant["clicked"].tolist() == [0, 0] and report.ab_tests["significant"].eq(False).all()
    with open_store(tmp_path / "s.db") as store:
        store.create_campaign("x")
        for name in ("A", "B", "C"):
            store.add_variant("x", name)
        split = next_split(store, "x", 900, BanditConfig(draws=60_000))
        assert split.messages.sum() == 900 and split.messages.between(280, 320).all()  # no evidence: even
        store.add_messages("x", messages.assign(shopper_id="1"))
        split = next_split(store, "x", 900)
        assert list(split.stats["variant"]) == ["A", "B", "C"] and split.stats["trials"].tolist() == [1, 1, 0]
