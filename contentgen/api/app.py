"""The FastAPI app: keyed, limited endpoints over one ContentService and the store.

``create_app(service, store, settings)`` is handed built objects, so tests pass an echo generator
and an in-memory store. Every endpoint only translates: the library decides.
"""


import asyncio
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timezone
import logging
import threading
import time

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
import pandas as pd

from contentgen.api import schemas as s
from contentgen.api.limits import BodySizeLimit, FairQueue, QueueFull, RateLimiter, retry_after_header
from contentgen.api.rwlock import ReadWriteLock
from contentgen.api.settings import ApiSettings
from contentgen.errors import ContentgenError
from contentgen.store.keys import ApiKey, ApiKeys, hash_key

logger = logging.getLogger(__name__)

ERRORS = {code: {"model": s.Problem, "description": text} for code, text in {
    400: "The request is valid but the shop's data cannot serve it (the detail says why).",
    401: "No API key, or not a valid one.",
    403: "The key's scope does not cover this endpoint.",
    404: "The shopper, product, segment, template or campaign is not known.",
    409: "The request contradicts itself or the shop's state (e.g. a template for another channel).",
    413: "The request body is over the size limit.",
    429: "This key's rate limit; wait Retry-After seconds.",
}.items()}
KEY_CACHE_SECONDS = 5.0
NO_CAMPAIGNS = "campaign runs are off on this server: start it with --campaigns-dir (and the campaign engine installed)"
BUSY = {503: {"model": s.Problem, "description": "The generation queue is full; wait Retry-After seconds."}}


class ServiceState:
    """The service being served, the readers–writer lock between reads and live updates, and refits.

    Reads (/recommend, a /generate brief) share ``lock.read()``; a live event's fold-in and a refit's
    swap take ``lock.write()``, alone. The answer cache has its own small mutex.
    """

    def __init__(self, service, store) -> None:
        self.service = service
        self.store = store
        self.base_shop = service.shop  # the shop as loaded; stored live events are added on refit
        self.lock = ReadWriteLock()
        self._refit_flag = threading.Lock()
        self._answers_lock = threading.Lock()
        self.model_lock = threading.Lock()  # one model call at a time: /generate and campaign runs take turns
        self.refitting = False
        self.live_events = 0
        self._writers: dict[tuple[int, int], object] = {}
        self._templates = None
        # Answers of /recommend per shopper, by (k, exclude_purchased). Valid until that shopper's next
        # event (a fold-in changes only its own row) or the next refit; bounded, least recent out first.
        self._answers: OrderedDict[str, dict[tuple[int, bool], object]] = OrderedDict()
        self.max_answers = 100_000  # shoppers

    def cached_answer(self, shopper_id: str, k: int, exclude: bool):
        with self._answers_lock:
            mine = self._answers.get(shopper_id)
            if mine is None:
                return None
            self._answers.move_to_end(shopper_id)
            return mine.get((k, exclude))

    def remember(self, shopper_id: str, k: int, exclude: bool, answer) -> None:
        """Keep an answer; call it holding ``lock.read()`` (or write), so an event's ``forget``,
        taken under ``lock.write()``, cannot fall between computing the answer and keeping it."""
        with self._answers_lock:
            self._answers.setdefault(shopper_id, {})[(k, exclude)] = answer
            self._answers.move_to_end(shopper_id)
            if len(self._answers) > self.max_answers:
                self._answers.popitem(last=False)

    def forget(self, shopper_id: str | None = None) -> None:
        """Drop the cached answers of one shopper (after its event), or all (after a refit)."""
        with self._answers_lock:
            if shopper_id is None:
                self._answers.clear()
            else:
                self._answers.pop(shopper_id, None)

    def start_refit(self) -> bool:
        """Start a background refit unless one runs; True if this call started it."""
        with self._refit_flag:
            if self.refitting:
                return False
            self.refitting = True
        threading.Thread(target=self.refit, name="contentgen-refit", daemon=True).start()
        return True

    def warm(self, replay: bool = True) -> None:
        """Fit what /recommend needs now, not on the first request; fold in events stored earlier."""
        from contentgen.realtime import LiveEvent
        from contentgen.store.live import live_events

        with self.lock.write():
            self.service.profiles, self.service.recommender, self.service.offer_plan  # noqa: B018 - built once
            prime(self.service)
            if replay:
                stored = live_events(self.store)
                self.forget()
                for row in stored.itertuples(index=False):
                    self.service.record_event(LiveEvent(row.shopper_id, row.product_id, row.event_type,
                                                         pd.Timestamp(row.timestamp), row.quantity, row.value,
                                                         row.order_id))
                self.live_events = len(stored)
                if len(stored):
                    logger.info("folded %d stored live events into the service", len(stored))

    @property
    def templates(self):
        if self._templates is None:
            from contentgen.generate.prompts import TemplateLibrary

            self._templates = TemplateLibrary.load(getattr(self.service.settings, "templates_dir", None))
        return self._templates

    def writer_for(self, variants: int):
        """The service's writer asking for ``variants`` variants (the model is shared, loaded once)."""
        from contentgen.generate.writer import Writer

        service = self.service
        key = (id(service), variants)
        if key not in self._writers:
            base = service.writer
            self._writers[key] = base if base.settings.variants == variants else Writer(
                base.generator, base.templates, replace(base.settings, variants=variants), base.guardrails,
                base.known_products, policy=base.policy, exemplars=base.exemplars, reader=base.reader)
        return self._writers[key]

    def refit(self) -> None:
        """Fit a new service on the loaded shop plus every stored live event, then swap it in."""
        from contentgen.realtime import LiveEvent, shop_with_events
        from contentgen.service import ContentService
        from contentgen.store.live import live_events

        try:
            old = self.service
            stored = live_events(self.store)
            generator = old.writer.generator if "writer" in old.__dict__ else old._generator
            new = ContentService(shop_with_events(self.base_shop, stored), old.settings, generator=generator)
            new.profiles, new.recommender, new.offer_plan  # noqa: B018 - fitted here, off the request path
            prime(new)
            with self.lock.write():
                later = live_events(self.store).iloc[len(stored):]  # posted while fitting
                for row in later.itertuples(index=False):
                    new.record_event(LiveEvent(row.shopper_id, row.product_id, row.event_type,
                                               pd.Timestamp(row.timestamp), row.quantity, row.value, row.order_id))
                self.service = new
                self._writers.clear()
                self.forget()
            logger.info("refit on %d events (%d live)", len(new.shop.events), len(stored) + len(later))
        except Exception:
            logger.exception("refit failed; the service keeps the previous fit")
        finally:
            self.refitting = False


def prime(service) -> None:
    """Answer one recommendation before serving: the per-request path builds its lookups (catalog
    columns, the popularity row, per-shopper repeat cells, the similarity by column) on first use,
    and the first requests would otherwise wait for that (measured: p99 0.8 s over the first 500)."""
    ids = service.recommender.history.shopper_ids
    if len(ids):
        service.recommender.recommend(str(ids[0]), 10, True)
        service.recommender.recommend(str(ids[0]), 10, False)


def create_app(service, store, settings: ApiSettings | None = None) -> FastAPI:
    """The HTTP service over a built ContentService and an open Store (campaign runs when
    ``settings.campaigns_dir`` is set and the campaign engine is installed)."""
    settings = settings or ApiSettings()
    state = ServiceState(service, store)
    campaigns = None
    if settings.campaigns_dir is not None:
        try:
            from contentgen.api.campaigns import CampaignRunner
            import contentgen.campaign  # noqa: F401 - the engine the runner drives
        except ImportError:
            logger.warning("no campaign engine (contentgen.campaign) in this build: /campaigns answers 501")
        else:
            campaigns = CampaignRunner(state, settings.campaigns_dir, settings.audience_dir, state.model_lock)
    keys = ApiKeys(store)
    request_rate = RateLimiter(settings.requests_per_minute, settings.request_burst)
    generation_rate = RateLimiter(settings.generations_per_minute, settings.generation_burst)
    queue = FairQueue(settings.max_queued_generations, settings.max_queued_per_key)
    RecommendRequest, GenerateRequest, FeedbackRequest = s.limited_requests(  # noqa: N806 - classes
        settings.max_recommendations, settings.max_variants, settings.max_feedback_rows)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await asyncio.to_thread(state.warm)
        if campaigns is not None:
            campaigns.resume()  # runs a restart cut short go on from their checkpoints
        yield
        queue.close()

    app = FastAPI(
        title="contentgen",
        summary="Personalized, grounded marketing copy and recommendations for one shop.",
        description="Send `Authorization: Bearer <key>`; create keys with `contentgen keys create --scope read|generate|admin` "
                    "(each scope includes the ones before it).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.contentgen = state
    app.state.campaigns = campaigns
    app.state.queue = queue
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    bearer = HTTPBearer(auto_error=False, description="An API key from `contentgen keys create`.")

    known: dict[str, tuple[ApiKey, float]] = {}  # sha256 of a key -> (its record, until when to trust it)

    def verified(key: str) -> ApiKey | None:
        """``keys.verify`` with the answer kept a few seconds, so a busy key costs no database read per
        request; a revoked key is refused within ``KEY_CACHE_SECONDS``."""
        digest = hash_key(key)
        hit = known.get(digest)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        record = keys.verify(key)
        if record is not None:
            if len(known) > 10_000:
                known.clear()
            known[digest] = (record, now + KEY_CACHE_SECONDS)
        return record

    def caller(scope: str):
        def authorised(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
            challenge = {"WWW-Authenticate": "Bearer"}
            if credentials is None:
                raise HTTPException(401, "no API key: send 'Authorization: Bearer <key>'; create one with "
                                         f"`contentgen keys create --scope {scope}`", headers=challenge)
            key = verified(credentials.credentials)
            if key is None:
                raise HTTPException(401, "this API key is not valid (unknown, mistyped or revoked)", headers=challenge)
            if not key.allows(scope):
                raise HTTPException(403, f"this key's scope is {key.scope!r}; this endpoint needs {scope!r} or above")
            wait = request_rate.take(key.key_id)
            if wait:
                raise HTTPException(429, f"this key's rate limit ({settings.requests_per_minute:g} requests a minute) "
                                         "is reached; retry after the Retry-After seconds", headers=retry_after_header(wait))
            return key

        return authorised

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        # where and why, never the rejected input echoed back (it may be huge or hostile)
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in error.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})

    @app.exception_handler(ContentgenError)
    async def _domain(_request: Request, error: ContentgenError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(error)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal error; the server log has the details"})

    def known_shopper(service, shopper_id: str) -> None:
        if shopper_id not in service.profiles:
            raise HTTPException(404, f"shopper {shopper_id!r} is not in shop {service.shop.name!r}")

    def recommendations_out(service, recs) -> list[s.RecommendationOut]:
        return [s.RecommendationOut(product_id=r.product_id, title=r.title, price=r.price, currency=service.shop.currency,
                                    score=r.score, reasons=list(r.reasons)) for r in recs]

    # -- endpoints ---------------------------------------------------------------------------

    @app.get("/health", response_model=s.HealthResponse, tags=["service"])
    def health() -> s.HealthResponse:
        """Liveness and what is loaded; needs no key."""
        service = state.service
        return s.HealthResponse(
            status="ok", shop=service.shop.name, shoppers=len(service.shop.shoppers), products=len(service.shop.catalog),
            generator_loaded="writer" in service.__dict__, generations_waiting=queue.waiting, generating=queue.busy,
            refitting=state.refitting, live_events=state.live_events)

    @app.post("/recommend", response_model=s.RecommendResponse, responses=ERRORS, tags=["recommend"])
    def recommend(request: RecommendRequest, _key: ApiKey = Depends(caller("read"))) -> s.RecommendResponse:
        """The shopper's best products now, each with the reasons a person can read."""
        key = (request.shopper_id, request.k, request.exclude_purchased)
        # A sync endpoint: FastAPI runs it on its thread pool, off the event loop; concurrent
        # /recommend calls share the read lock.
        with state.lock.read():
            answer = state.cached_answer(*key)
            if answer is not None:
                return answer
            service = state.service
            known_shopper(service, request.shopper_id)
            recs = service.recommender.recommend(request.shopper_id, request.k, request.exclude_purchased)
            segment = str(service.profiles.frame.at[request.shopper_id, "segment"])
            cold = bool(service.recommender.is_cold([request.shopper_id])[0])
            answer = s.RecommendResponse(shopper_id=request.shopper_id, segment=segment, cold_start=cold,
                                         recommendations=recommendations_out(service, recs))
            state.remember(*key, answer)
            return answer

    @app.post("/generate", response_model=s.GenerateResponse, responses={**ERRORS, **BUSY}, tags=["generate"])
    async def generate(request: GenerateRequest, key: ApiKey = Depends(caller("generate"))) -> s.GenerateResponse:
        """Checked copy variants for one shopper or a segment. Requests wait their turn for the model
        (round-robin between keys); the answer comes when the copy is written."""
        if request.template is not None:
            if request.template not in state.templates.names:
                raise HTTPException(404, f"no template {request.template!r}; available: {', '.join(state.templates.names)}")
            template = state.templates.get(request.template)
            if (template.channel, template.language) != (request.channel, request.language):
                raise HTTPException(409, f"template {request.template!r} is for {template.channel}/{template.language}, "
                                         f"not {request.channel}/{request.language}")
        shopper_id, segment = getattr(request, "shopper_id", None), getattr(request, "segment", None)
        if shopper_id is not None:
            known_shopper(state.service, shopper_id)
        elif segment not in set(state.service.profiles.frame["segment"].astype(str)):
            raise HTTPException(404, f"no shopper of shop {state.service.shop.name!r} is in segment {segment!r} now")
        wait = generation_rate.take(key.key_id)
        if wait:
            raise HTTPException(429, f"this key's generation limit ({settings.generations_per_minute:g} a minute) is "
                                     "reached; retry after the Retry-After seconds", headers=retry_after_header(wait))
        submitted = time.perf_counter()

        def job():
            started = time.perf_counter()
            with state.lock.read():
                service = state.service
                brief = (service.brief(shopper_id, request.channel, request.language) if shopper_id is not None
                         else service.segment_brief(segment, request.channel, request.language))
            with state.model_lock:
                copies = state.writer_for(request.variants).write(brief, request.template)
            return brief, copies, started

        try:
            future = queue.submit(key.key_id, job)
        except QueueFull as full:
            raise HTTPException(503, str(full), headers=retry_after_header(full.retry_after)) from None
        try:
            brief, copies, started = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()  # the client went away: skip the job if it has not started
            raise
        done = time.perf_counter()
        return s.GenerateResponse(
            channel=brief.channel, language=brief.language, shopper_id=shopper_id, segment=segment,
            products=[p.name for p in brief.products], offer=brief.offer.description if brief.offer else None,
            variants=[s.CopyOut(variant=c.variant, template=c.template, fields=dict(c.fields), text=c.text,
                                fallback=c.fallback, passed=c.passed, generator=c.generator,
                                failed_checks=[s.CheckOut(name=k.name, detail=k.detail) for k in c.checks if not k.passed])
                      for c in copies],
            seconds=round(done - started, 4), queued_seconds=round(started - submitted, 4))

    @app.post("/events", response_model=s.EventResponse, responses=ERRORS, tags=["real time"])
    def events(request: s.EventRequest, key: ApiKey = Depends(caller("generate"))) -> s.EventResponse:
        """A view, cart or purchase: stored, and folded into the shopper's profile and recommendations
        at once (no refit; the next full fit, POST /refit, includes it)."""
        from contentgen.realtime import LiveEvent
        from contentgen.store.live import record_live_event

        when = request.timestamp or datetime.now(timezone.utc)
        if when.tzinfo is not None:  # the shop's times are naive; an offset is honoured by going to UTC
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
        with state.lock.write():
            service = state.service
            if request.product_id not in service.recommender.history.product_index:
                raise HTTPException(404, f"product {request.product_id!r} is not in the catalog of shop {service.shop.name!r}")
            event_id = record_live_event(store, shopper_id=request.shopper_id, product_id=request.product_id,
                                         event_type=request.event_type, occurred_at=when, quantity=request.quantity,
                                         value=request.value, order_id=request.order_id, api_key_id=key.key_id)
            state.live_events += 1
            state.forget(request.shopper_id)
            result = service.record_event(LiveEvent(request.shopper_id, request.product_id, request.event_type,
                                                    pd.Timestamp(when), request.quantity, request.value, request.order_id))
            recs = service.recommender.recommend(request.shopper_id, service.settings.recommendations)
            return s.EventResponse(event_id=event_id, shopper_id=request.shopper_id, new_shopper=result.new_shopper,
                                   segment=result.segment_after, recommendations=recommendations_out(service, recs))

    @app.post("/feedback", response_model=s.FeedbackResponse, responses=ERRORS, tags=["campaigns"])
    def feedback(request: FeedbackRequest, key: ApiKey = Depends(caller("generate"))) -> s.FeedbackResponse:
        """Outcomes (sent, opened, clicked, converted, ...) of stored messages. Idempotent: a repeated
        event adds nothing."""
        raw = pd.DataFrame([{"message_id": e.message_id, "event_type": e.event_type,
                             "occurred_at": e.occurred_at.isoformat(), "revenue": str(e.revenue),
                             "event_id": e.event_id or ""} for e in request.events], dtype=str)
        result = store.import_outcome_rows(raw, source=f"POST /feedback (key {key.key_id})")
        return s.FeedbackResponse(rows_read=result.rows_read, rows_added=result.rows_added,
                                  duplicates=result.duplicates, skipped=result.skipped)

    @app.post("/refit", status_code=202, response_model=s.HealthResponse, responses=ERRORS, tags=["service"])
    def refit(_key: ApiKey = Depends(caller("admin"))) -> s.HealthResponse:
        """Start a full fit on the shop plus every live event, in the background; requests keep being
        answered by the current fit until the new one is swapped in."""
        state.start_refit()
        return health()

    @app.post("/campaigns", status_code=202, response_model=s.CampaignResponse,
              responses={**ERRORS, 501: {"model": s.Problem, "description": "No campaign runs on this server."}},
              tags=["campaigns"])
    def start_campaign(request: s.CampaignRequest, key: ApiKey = Depends(caller("admin"))) -> s.CampaignResponse:
        """Start a campaign run over an audience file; returns its id at once (poll GET /campaigns/{id})."""
        if campaigns is None:
            raise HTTPException(501, NO_CAMPAIGNS)
        return campaigns.start(request, key.key_id)

    @app.get("/campaigns/{campaign_id}", response_model=s.CampaignResponse,
             responses={**ERRORS, 501: {"model": s.Problem, "description": "No campaign runs on this server."}},
             tags=["campaigns"])
    def campaign_status(campaign_id: s.CampaignId, _key: ApiKey = Depends(caller("read"))) -> s.CampaignResponse:
        """A campaign run's progress, counts and, when done, where to download its messages."""
        if campaigns is None:
            raise HTTPException(501, NO_CAMPAIGNS)
        return campaigns.status(campaign_id)

    @app.get("/campaigns/{campaign_id}/messages", response_class=FileResponse, tags=["campaigns"],
             responses={**ERRORS, 501: {"model": s.Problem, "description": "No campaign runs on this server."},
                        200: {"description": "The ESP-ready messages file.",
                              "content": {"text/csv": {}, "application/json": {}, "application/octet-stream": {}}}})
    def campaign_messages(campaign_id: s.CampaignId, _key: ApiKey = Depends(caller("read"))) -> FileResponse:
        """The finished run's messages file (one row per recipient, ready for the email/SMS service)."""
        if campaigns is None:
            raise HTTPException(501, NO_CAMPAIGNS)
        path = campaigns.messages_file(campaign_id)
        media = {".csv": "text/csv", ".jsonl": "application/json"}.get(path.suffix, "application/octet-stream")
        return FileResponse(path, media_type=media, filename=path.name)

    return app
