"""Campaign runs started over the API: background threads over ``contentgen.campaign.run_campaign``.

Each run is recorded in ``<campaigns_dir>/<id>/api-run.json`` before it starts. On start-up the
service resumes every recorded run the store does not show as done, once: the campaign engine's
checkpoints make a resumed run write only the recipients not yet written, so a server restart
(or a crash) mid-run sends nobody twice and leaves nobody out.
"""

from __future__ import annotations

from datetime import datetime, timezone
import json
import logging
import os
from pathlib import Path
import threading

from fastapi import HTTPException

from contentgen.api import schemas as s
from contentgen.errors import ConfigError

logger = logging.getLogger(__name__)

RECORD = "api-run.json"


class LockedGenerator:
    """A Generator whose model calls take the service's model lock, so a campaign and /generate
    take turns on the CPU instead of running two models at once."""

    def __init__(self, generator, lock: threading.Lock) -> None:
        self._generator = generator
        self._lock = lock
        self.name = generator.name
        self.batches = getattr(generator, "batches", True)

    def generate(self, prompts, settings, n: int = 1):
        with self._lock:
            return self._generator.generate(prompts, settings, n)

    def stream(self, prompt, settings):
        with self._lock:
            yield from self._generator.stream(prompt, settings)


class CampaignRunner:
    """Starts, resumes and reports campaign runs; one run at a time, each on its own thread."""

    def __init__(self, state, campaigns_dir: Path, audience_dir: Path, model_lock: threading.Lock,
                 on_progress=None) -> None:
        self.state = state
        self.campaigns_dir = Path(campaigns_dir)
        self.audience_dir = Path(audience_dir).resolve()
        self.model_lock = model_lock
        self.on_progress = on_progress  # tests use it to cut a run short, as a killed server would
        self._threads: dict[str, threading.Thread] = {}
        self._one_at_a_time = threading.Lock()
        self._lock = threading.Lock()

    # -- records -------------------------------------------------------------------------------
    def _record_path(self, campaign_id: str) -> Path:
        return self.campaigns_dir / campaign_id / RECORD

    def _read(self, campaign_id: str) -> dict | None:
        path = self._record_path(campaign_id)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def _write(self, campaign_id: str, record: dict) -> None:
        path = self._record_path(campaign_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(partial, path)  # a crash mid-write leaves the old record whole

    def _audience(self, relative: str) -> Path:
        try:
            path = (self.audience_dir / relative).resolve()
            inside = path.is_relative_to(self.audience_dir)
            exists = inside and path.is_file()
        except OSError:  # e.g. a name longer than the file system allows
            inside, exists = True, False
        if not inside:
            raise HTTPException(403, "audience_path must name a file inside the server's audience folder")
        if not exists:
            raise HTTPException(404, f"no audience file {relative!r} in the server's audience folder")
        return path

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, request: s.CampaignRequest, key_id: str) -> s.CampaignResponse:
        from contentgen.campaign import CampaignSettings, campaign_slug

        audience = self._audience(request.audience_path)
        campaign_id = campaign_slug(request.name)
        store_url = self.state.store.engine.url.render_as_string(hide_password=False)
        options = request.model_dump(exclude={"audience_path", "name"}, exclude_none=True)
        try:
            settings = CampaignSettings(name=request.name, out_dir=self.campaigns_dir / campaign_id, store=store_url,
                                        **options)
        except ValueError as error:
            raise HTTPException(409, f"campaign settings refused: {error}") from None
        with self._lock:
            if campaign_id in self._threads and self._threads[campaign_id].is_alive():
                raise HTTPException(409, f"campaign {campaign_id!r} is already running; poll GET /campaigns/{campaign_id}")
            record = {"audience_path": str(audience), "settings": settings.model_dump(mode="json"), "key_id": key_id,
                      "created_at": datetime.now(timezone.utc).isoformat(), "status": "queued", "error": ""}
            self._write(campaign_id, record)
            self._launch(campaign_id, audience, settings)
        return s.CampaignResponse(campaign_id=campaign_id, status="queued")

    def _launch(self, campaign_id: str, audience: Path, settings) -> None:
        thread = threading.Thread(target=self._run, args=(campaign_id, audience, settings),
                                  name=f"contentgen-campaign-{campaign_id}", daemon=True)
        self._threads[campaign_id] = thread
        thread.start()

    def _run(self, campaign_id: str, audience: Path, settings) -> None:
        from contentgen.campaign import run_campaign

        with self._one_at_a_time:
            service = self.state.service
            try:
                record = self._read(campaign_id) or {}
                self._write(campaign_id, {**record, "status": "running"})
                result = run_campaign(service, audience, settings, on_progress=self.on_progress,
                                      generator_factory=lambda: LockedGenerator(service.writer.generator, self.model_lock))
                self._write(campaign_id, {**record, "status": "done", "files": {k: str(v) for k, v in result.files.items()}})
                logger.info("campaign %s done: %d ready, %d errors", campaign_id, result.ready, result.errors)
            except Exception as error:  # reported by GET /campaigns/{id}; not resumed, it would fail again
                logger.exception("campaign %s failed", campaign_id)
                self._write(campaign_id, {**(self._read(campaign_id) or {}), "status": "failed", "error": str(error)})
            # anything else (KeyboardInterrupt, SystemExit: the process is going down) leaves the record
            # "running", so the next start-up resumes it from the store's checkpoints

    def resume(self) -> list[str]:
        """Start again every recorded run that is neither done nor failed (called once at start-up)."""
        from contentgen.campaign import CampaignSettings

        resumed = []
        for path in sorted(self.campaigns_dir.glob(f"*/{RECORD}")):
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("status") in ("done", "failed"):
                continue
            campaign_id = path.parent.name
            with self._lock:
                if campaign_id in self._threads and self._threads[campaign_id].is_alive():
                    continue
                self._launch(campaign_id, Path(record["audience_path"]), CampaignSettings(**record["settings"]))
            resumed.append(campaign_id)
        if resumed:
            logger.info("resuming campaign runs: %s", ", ".join(resumed))
        return resumed

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running campaigns (tests, shutdown)."""
        for thread in list(self._threads.values()):
            thread.join(timeout)

    # -- reading -------------------------------------------------------------------------------
    def status(self, campaign_id: str) -> s.CampaignResponse:
        from contentgen.campaign import campaign_progress

        record = self._read(campaign_id)
        try:
            progress = campaign_progress(self.state.store, campaign_id)
        except ConfigError:
            if record is None:
                raise HTTPException(404, f"no campaign {campaign_id!r}") from None
            progress = None
        status = record.get("status", "") if record else ""
        if progress is not None and (record is None or status not in ("failed",)):
            status = "done" if progress.status == "done" else (status if status in ("queued",) else progress.status)
        counts = {} if progress is None else {"eligible": progress.eligible, "written": progress.written,
                                              "ready": progress.ready, "errors": progress.errors,
                                              "fallbacks": progress.fallbacks}
        output = None
        if record and record.get("files"):
            output = f"/campaigns/{campaign_id}/messages"
        return s.CampaignResponse(campaign_id=campaign_id, status=status or "unknown",
                                  detail=(record or {}).get("error", ""), counts=counts, output=output)

    def messages_file(self, campaign_id: str) -> Path:
        record = self._read(campaign_id)
        files = (record or {}).get("files") or {}
        name = next((n for n in files if n.startswith("messages.")), None)
        if name is None or not Path(files[name]).is_file():
            raise HTTPException(404, f"campaign {campaign_id!r} has no finished messages file (yet)")
        return Path(files[name])
