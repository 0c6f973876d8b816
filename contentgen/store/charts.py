"""Charts of a campaign report, as matplotlib Figure objects (no pyplot, so no global state).

Built with ``matplotlib.figure.Figure`` directly: saving to PNG needs no display and two
reports built at once in the web UI do not share a current figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from contentgen.store.report import CampaignReport

def _percent_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:.1%}")


_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")


def report_figures(report: "CampaignReport") -> dict[str, "Figure"]:
    """The report's charts by name: rates, revenue, funnel, segments."""
    return {
        "rates": rates_chart(report),
        "revenue": revenue_chart(report),
        "funnel": funnel_chart(report),
        "segments": segment_chart(report),
    }


def rates_chart(report: "CampaignReport") -> "Figure":
    """CTR and CVR per variant with confidence intervals and the p-value against the control."""
    from matplotlib.figure import Figure

    table = report.by_variant
    figure = Figure(figsize=(8, 4), layout="constrained")
    for position, (metric, label) in enumerate((("ctr", "Click-through rate"), ("cvr", "Conversion rate"))):
        axes = figure.add_subplot(1, 2, position + 1)
        x = np.arange(len(table))
        rates = table[metric].to_numpy()
        errors = np.vstack([rates - table[f"{metric}_low"].to_numpy(), table[f"{metric}_high"].to_numpy() - rates])
        # a rate of 0 gives a Wilson bound a rounding error below it (-1e-17), which matplotlib refuses
        errors = np.clip(np.nan_to_num(errors), 0.0, None)
        axes.bar(x, rates, yerr=errors, capsize=4, color=[_COLOURS[i % len(_COLOURS)] for i in x])
        axes.set_xticks(x, table["variant"])
        axes.yaxis.set_major_formatter(lambda value, _: f"{value:.1%}")
        axes.set_title(label)
        tests = report.ab_tests[report.ab_tests["metric"] == metric].set_index("variant")
        for i, variant in enumerate(table["variant"]):
            note = "control" if variant == report.control else (
                f"p={tests.loc[variant, 'p_value']:.2g}" if variant in tests.index else "")
            axes.annotate(note, (i, table[f"{metric}_high"].iloc[i]), ha="center", va="bottom", fontsize=8,
                          xytext=(0, 3), textcoords="offset points")
    figure.suptitle(f"{report.campaign_id}: rates per variant ({report.confidence:.0%} Wilson intervals)")
    return figure


def revenue_chart(report: "CampaignReport") -> "Figure":
    """Revenue against cost, and ROI, per variant."""
    from matplotlib.figure import Figure

    table = report.by_variant
    figure = Figure(figsize=(8, 4), layout="constrained")
    x = np.arange(len(table))
    money = figure.add_subplot(1, 2, 1)
    money.bar(x - 0.2, table["revenue"], width=0.4, label="revenue", color=_COLOURS[2])
    money.bar(x + 0.2, table["cost"], width=0.4, label="cost", color=_COLOURS[3])
    money.set_xticks(x, table["variant"])
    money.set_title("Revenue and cost")
    money.legend()
    roi = figure.add_subplot(1, 2, 2)
    values = table["roi"].fillna(0.0).to_numpy()
    roi.bar(x, values, color=[_COLOURS[2] if v >= 0 else _COLOURS[3] for v in values])
    roi.axhline(0, color="black", linewidth=0.8)
    roi.set_xticks(x, table["variant"])
    roi.set_title("ROI = (revenue − cost) / cost")
    figure.suptitle(f"{report.campaign_id}: money per variant")
    return figure


def funnel_chart(report: "CampaignReport") -> "Figure":
    """Share of recipients reaching each step, per variant."""
    from matplotlib.figure import Figure

    table = report.by_variant
    steps = ["sent", "delivered", "opened", "clicked", "converted"]
    figure = Figure(figsize=(7, 4), layout="constrained")
    axes = figure.add_subplot(1, 1, 1)
    for i, row in enumerate(table.itertuples(index=False)):
        shares = [getattr(row, step) / row.sent for step in steps]
        axes.plot(steps, shares, marker="o", label=row.variant, color=_COLOURS[i % len(_COLOURS)])
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(lambda value, _: f"{value:.1%}")
    axes.set_title(f"{report.campaign_id}: funnel per variant (share of recipients, log scale)")
    axes.legend()
    return figure


def segment_chart(report: "CampaignReport") -> "Figure":
    """CTR per variant and segment as a heat map, each cell labelled with its rate and size."""
    from matplotlib.figure import Figure

    table = report.by_variant_segment
    rates = table.pivot(index="segment", columns="variant", values="ctr")
    sizes = table.pivot(index="segment", columns="variant", values="sent").fillna(0).astype(int)
    figure = Figure(figsize=(1.6 * len(rates.columns) + 3, 0.6 * len(rates.index) + 2), layout="constrained")
    axes = figure.add_subplot(1, 1, 1)
    values = rates.to_numpy(dtype=float)
    image = axes.imshow(values, cmap="Greens", aspect="auto")
    axes.set_xticks(range(len(rates.columns)), rates.columns)
    axes.set_yticks(range(len(rates.index)), rates.index)
    low, high = image.get_clim()
    for (i, j), value in np.ndenumerate(values):
        text = "–" if np.isnan(value) else f"{value:.1%}\nn={sizes.iloc[i, j]}"
        # White on the darker half of the colour map, black on the lighter, so every cell reads.
        dark = not np.isnan(value) and high > low and (value - low) / (high - low) > 0.6
        axes.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    colorbar = figure.colorbar(image, ax=axes, label="CTR")
    colorbar.formatter = _percent_formatter()
    colorbar.update_ticks()
    axes.set_title(f"{report.campaign_id}: click-through rate by segment and variant")
    return figure
