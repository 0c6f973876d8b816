"""List campaigns: every recipient of an email/SMS/push list gets checked, personalized copy.

The model writes once per cohort (channel, language, template, situation bucket, offer, interest
theme); each recipient's products, prices, codes, first name, links and footer are merged after,
and the final message passes every guardrail (else the next passing variant, else a labelled
fallback; a failing fallback is an error row, never shipped). Each recipient is checkpointed in
the store as written, so a killed run resumes with nobody written twice.

The API the CLI, the HTTP service and the app use::

    from contentgen.campaign import CampaignSettings, run_campaign, campaign_progress
    result = run_campaign(service, "list.csv", CampaignSettings(name="nov", out_dir="out", esp="mailchimp"),
                          on_progress=lambda p: print(p.stage, p.done, p.total))
    result.summary_lines()            # ready, skipped by reason, failed, fallback rate, cohorts, model calls
    campaign_progress(store, "nov")   # CampaignProgress(eligible, written, ready, errors, status) from the store

- ``run_campaign(service, audience_path, settings, show_progress=False, on_progress=None) -> CampaignResult``
- ``CampaignSettings`` (pydantic, extra=forbid): name, out_dir, channel, variants, cohort, esp, engine, ...
- ``campaign_progress(store, campaign_id, send_round=None) -> CampaignProgress`` (read while a run goes on)
- ``synth_audience(shopper_ids, n, seed)``: a labelled synthetic audience with planted problem rows
"""

from contentgen.campaign.audience import SKIP_REASONS, read_audience, screen_audience, synth_audience
from contentgen.campaign.runner import CampaignResult, Progress, run_campaign
from contentgen.campaign.settings import CampaignSettings, campaign_slug
from contentgen.campaign.sink import CampaignProgress, campaign_progress

__all__ = [
    "CampaignProgress", "CampaignResult", "CampaignSettings", "Progress", "SKIP_REASONS", "campaign_progress",
    "campaign_slug", "read_audience", "run_campaign", "screen_audience", "synth_audience",
]
