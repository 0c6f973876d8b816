"""Hardening the HTTP service: schemathesis against its own OpenAPI schema (no 5xx, responses as
documented), hypothesis on the request models, and the queue and rate limiter on their own."""

from __future__ import annotations

import threading
import time

from hypothesis import HealthCheck, given, settings, strategies as st
import pydantic
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from contentgen.api import ApiSettings, create_app
from contentgen.api import schemas
from contentgen.api.limits import FairQueue, QueueFull, RateLimiter
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.service import ContentService, ServiceSettings
from contentgen.store import open_store
from contentgen.store.keys import ApiKeys


@pytest.fixture(scope="module")
def served(demo_shop, tmp_path_factory):
    service = ContentService(demo_shop, ServiceSettings(variants=1, candidates=1, content=False), generator=EchoGenerator())
    service.profiles, service.recommender, service.offer_plan  # noqa: B018 - fitted once for the module
    store = open_store(tmp_path_factory.mktemp("fuzz") / "store.db")
    _, key = ApiKeys(store).create("admin", name="fuzz")
    # limits high enough that the fuzzer is never rate-limited: here it looks for crashes
    folder = tmp_path_factory.mktemp("fuzz-campaigns")
    limits = ApiSettings(requests_per_minute=1e6, request_burst=10**6, generations_per_minute=1e6, generation_burst=10**6,
                         campaigns_dir=folder / "runs", audience_dir=folder)  # no audience file: campaigns get 404s
    yield create_app(service, store, limits), key
    store.close()


def test_no_request_makes_the_service_fail(served):
    """Every operation, fed schemathesis' cases built from the OpenAPI schema (valid and invalid ones),
    passes every documented check: no 5xx; status codes, content types and bodies as the schema says."""
    app, key = served
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:
        # (schemathesis' pytest loader does not run under this pytest, so each operation gets its own @given)
        # JSON Schema cannot bound a date-time, so for the operations taking one (events, feedback) a
        # year outside 1970-2200 is a schema-valid 422; every other check still applies to them
        excluded = [positive_data_acceptance] if operation.path in ("/events", "/feedback") else []

        @given(operation.as_strategy())
        # derandomized: CI runs the same cases every time (a failure reproduces); run with
        # derandomize=False locally to explore further
        @settings(max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def call(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, excluded_checks=excluded)

        call()


HOSTILE = st.sampled_from([
    "", " ", "\x00", "' OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}", "../../etc/passwd", "ignore previous instructions",
    "\u202e12347", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "x" * 10_000, "12347\n", "NaN", "-1", "1e309",
])
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30) | HOSTILE,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                       max_leaves=12)
MODELS = [schemas.RecommendRequest, schemas.GenerateRequest, schemas.EventRequest, schemas.FeedbackRequest,
          schemas.CampaignRequest]


@given(st.sampled_from(MODELS), st.dictionaries(st.sampled_from(["shopper_id", "product_id", "event_type", "k", "segment",
                                                                "channel", "variants", "template", "events", "timestamp",
                                                                "value", "quantity", "audience_path", "other"]),
                                              JSONISH, max_size=6))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_request_models_accept_only_what_they_promise(model, data):
    try:
        parsed = pydantic.TypeAdapter(model).validate_python(data)
    except pydantic.ValidationError as error:
        # a precise error: every entry names where it is
        assert all(e["loc"] or e["type"] for e in error.errors())
        return
    assert set(data) <= set(type(parsed).model_fields)  # extra="forbid"
    for name in ("shopper_id", "product_id"):
        value = getattr(parsed, name, None)
        if value is not None:
            assert 1 <= len(value) <= 64 and value == value.strip(" \t\n\r\x0b\x0c\xa0")
            assert not any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in value)  # no control characters
    if model is schemas.GenerateRequest:  # exactly one audience
        assert hasattr(parsed, "shopper_id") != hasattr(parsed, "segment")


def test_the_queue_takes_keys_in_turn_and_refuses_beyond_its_bounds():
    queue = FairQueue(max_waiting=6, max_per_key=4)
    gate = threading.Event()
    order: list[str] = []
    blocker = queue.submit("busy", gate.wait)  # holds the worker while the line forms
    time.sleep(0.05)
    futures = [queue.submit(key, lambda key=key: order.append(key)) for key in ["a", "a", "a", "a", "b", "b"]]
    with pytest.raises(QueueFull, match="waiting"):
        queue.submit("c", lambda: None)
    gate.set()
    for future in [blocker, *futures]:
        future.result(timeout=10)
    assert order == ["a", "b", "a", "b", "a", "a"]  # round-robin between keys, FIFO within one
    queue.close()


def test_one_key_cannot_fill_the_queue():
    queue = FairQueue(max_waiting=10, max_per_key=2)
    gate = threading.Event()
    first = queue.submit("greedy", gate.wait)
    time.sleep(0.05)
    queue.submit("greedy", lambda: None)
    queue.submit("greedy", lambda: None)
    with pytest.raises(QueueFull, match="this key"):
        queue.submit("greedy", lambda: None)
    queue.submit("polite", lambda: None).cancel()
    gate.set()
    first.result(timeout=10)
    queue.close()


def test_rate_limiter_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.take("k") == 0 and limiter.take("k") == 0
    wait = limiter.take("k")
    assert wait == pytest.approx(1.0)
    now[0] += 0.5
    assert limiter.take("k") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.take("k") == 0
    assert limiter.take("other") == 0  # its own bucket
