"""A self-contained HTML page of a campaign report (charts embedded as PNG)."""

from __future__ import annotations

import base64
import html
import io

from contentgen.store.report import CampaignReport

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th { background: #f3f3f3; }
img { max-width: 100%; margin: 0.5em 0; }
.summary li { margin: 0.2em 0; }
"""

_RATE_COLUMNS = ("ctr", "ctr_low", "ctr_high", "cvr", "cvr_low", "cvr_high", "open_rate")
_SHOWN = ["sent", "delivered", "opened", "clicked", "converted", "unsubscribed", "ctr", "ctr_low", "ctr_high",
          "cvr", "cvr_low", "cvr_high", "revenue", "cost", "revenue_per_recipient", "roi"]


def figure_png(figure) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def render_html(report: CampaignReport) -> str:
    """The report as one HTML page: summary, charts, then the tables."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Campaign {html.escape(report.campaign_id)}</title>",
             f"<style>{_STYLE}</style></head><body>",
             f"<h1>Campaign {html.escape(report.campaign_id)}</h1>",
             "<ul class='summary'>" + "".join(f"<li>{html.escape(line)}</li>" for line in report.summary_lines()) + "</ul>"]
    for name, figure in report.figures.items():
        encoded = base64.b64encode(figure_png(figure)).decode()
        parts.append(f"<img alt='{html.escape(name)}' src='data:image/png;base64,{encoded}'>")
    for title, table, keys in (("Per variant", report.by_variant, ["variant"]),
                               ("Per segment", report.by_segment, ["segment"]),
                               ("Per variant and segment", report.by_variant_segment, ["variant", "segment"])):
        parts.append(f"<h2>{title}</h2>")
        parts.append(_table(table[keys + _SHOWN]))
    parts.append(f"<h2>A/B tests against {html.escape(report.control)} (alpha {report.alpha:g})</h2>")
    parts.append(_table(report.ab_tests))
    parts.append("<p>CTR and CVR are per recipient; intervals are Wilson score intervals; tests are pooled "
                 "two-proportion z-tests (Welch t-test for revenue per recipient).</p></body></html>")
    return "".join(parts)


def _table(frame) -> str:
    formatters = {c: (lambda v: f"{v:.2%}") for c in _RATE_COLUMNS if c in frame.columns}
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.3f}", formatters=formatters, na_rep="–", border=0)
