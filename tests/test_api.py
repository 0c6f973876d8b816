"""The HTTP service end to end on the demo shop, with the echo generator (no model) and a temp store."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
import threading
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from contentgen.api import ApiSettings, create_app
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.service import ContentService, ServiceSettings
from contentgen.store import open_store
from contentgen.store.keys import ApiKeys, hash_key
from contentgen.store.live import live_events


@pytest.fixture(scope="module")
def service(demo_shop):
    built = ContentService(demo_shop, ServiceSettings(variants=2, content=False), generator=EchoGenerator())
    built.profiles, built.recommender, built.offer_plan  # noqa: B018 - fitted once for the module
    return built


@pytest.fixture(scope="module")
def pristine(service):
    """The fitted service before any live event: what a restarted server fits again from the shop."""
    return copy.deepcopy(service)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("api") / "store.db") as opened:
        yield opened


@pytest.fixture(scope="module")
def keys(store) -> dict[str, str]:
    return {scope: ApiKeys(store).create(scope, name=f"test {scope}")[1] for scope in ("read", "generate", "admin")}


@pytest.fixture(scope="module")
def client(service, store, pristine):
    with TestClient(create_app(service, store)) as test_client:
        yield test_client


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def some_shopper(service, rank: int = 0) -> str:
    purchases = service.shop.purchases
    return str(purchases["shopper_id"].value_counts().index[rank])


def test_health_needs_no_key_and_says_what_is_loaded(client, service):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["shoppers"] == len(service.shop.shoppers)
    assert body["generations_waiting"] == 0


def test_openapi_is_published_with_the_bearer_scheme(client):
    schema = client.get("/openapi.json").json()
    assert {"/recommend", "/generate", "/events", "/feedback", "/campaigns", "/campaigns/{campaign_id}", "/health"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_recommend_needs_a_valid_key(client, keys, service):
    body = {"shopper_id": some_shopper(service)}
    missing = client.post("/recommend", json=body)
    assert missing.status_code == 401 and "keys create" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    forged = keys["read"][:-4] + ("AAAA" if not keys["read"].endswith("AAAA") else "BBBB")
    assert client.post("/recommend", json=body, headers=auth(forged)).status_code == 401
    assert client.post("/recommend", json=body, headers=auth("not-a-key")).status_code == 401


def test_recommend_answers_with_reasons(client, keys, service):
    shopper = some_shopper(service)
    response = client.post("/recommend", json={"shopper_id": shopper, "k": 4}, headers=auth(keys["read"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["shopper_id"] == shopper and not body["cold_start"] and body["segment"]
    assert len(body["recommendations"]) == 4
    catalog = set(service.shop.catalog["product_id"].astype(str))
    assert all(r["product_id"] in catalog and r["reasons"] for r in body["recommendations"])
    expected = [r.product_id for r in service.recommend(shopper, 4)]
    assert [r["product_id"] for r in body["recommendations"]] == expected


def test_422s_say_which_field_and_why_without_echoing_input(client, keys, service):
    headers = auth(keys["read"])
    typo = client.post("/recommend", json={"shoper_id": "x" * 5000}, headers=headers)
    assert typo.status_code == 422
    locs = {tuple(e["loc"]) for e in typo.json()["detail"]}
    assert ("body", "shopper_id") in locs and ("body", "shoper_id") in locs
    assert "xxxxx" not in typo.text
    over = client.post("/recommend", json={"shopper_id": some_shopper(service), "k": 400}, headers=headers)
    assert over.status_code == 422 and over.json()["detail"][0]["loc"] == ["body", "k"]
    assert client.post("/recommend", content=b"{not json", headers={**headers, "Content-Type": "application/json"}).status_code == 422


def test_unknown_shopper_is_404_naming_it(client, keys):
    response = client.post("/recommend", json={"shopper_id": "nobody-42"}, headers=auth(keys["read"]))
    assert response.status_code == 404 and "nobody-42" in response.json()["detail"]


def test_scopes_include_the_ones_before(client, keys, service):
    body = {"shopper_id": some_shopper(service), "channel": "sms", "variants": 1}
    assert client.post("/generate", json=body, headers=auth(keys["read"])).status_code == 403
    assert client.post("/recommend", json={"shopper_id": body["shopper_id"]}, headers=auth(keys["admin"])).status_code == 200


def test_generate_for_a_shopper_and_for_a_segment(client, keys, service):
    shopper = some_shopper(service, 3)
    response = client.post("/generate", json={"shopper_id": shopper, "channel": "sms", "variants": 2},
                           headers=auth(keys["generate"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["variants"]) >= 1 and body["shopper_id"] == shopper
    # the echo generator never writes valid JSON: every variant is the labelled copywriter fallback
    assert all(v["fallback"] and v["generator"] == "fallback-template" for v in body["variants"])
    assert all(p in body["variants"][0]["text"] for p in body["products"][:1])
    segment = client.post("/generate", json={"segment": "loyal", "channel": "email", "variants": 1},
                          headers=auth(keys["generate"]))
    assert segment.status_code == 200, segment.text
    assert segment.json()["segment"] == "loyal" and segment.json()["products"]


def test_generate_refuses_ambiguous_or_mismatched_requests(client, keys, service):
    headers = auth(keys["generate"])
    both = client.post("/generate", json={"shopper_id": some_shopper(service), "segment": "loyal"}, headers=headers)
    assert both.status_code == 422 and both.json()["detail"][0]["loc"][-1] == "segment"
    assert "Extra inputs" in both.text
    neither = client.post("/generate", json={"channel": "sms"}, headers=headers)
    assert neither.status_code == 422 and neither.json()["detail"][0]["loc"][-1] == "segment"
    unknown = client.post("/generate", json={"segment": "loyal", "template": "nope"}, headers=headers)
    assert unknown.status_code == 404 and "sms_en" in unknown.json()["detail"]
    mismatch = client.post("/generate", json={"segment": "loyal", "channel": "email", "template": "sms_en"}, headers=headers)
    assert mismatch.status_code == 409 and "sms/en" in mismatch.json()["detail"]
    too_many = client.post("/generate", json={"segment": "loyal", "variants": 9}, headers=headers)
    assert too_many.status_code == 422 and too_many.json()["detail"][0]["loc"][-1] == "variants"


def test_a_purchase_event_changes_the_next_recommend_answer(client, keys, service, store):
    shopper = some_shopper(service, 7)
    ask = {"shopper_id": shopper, "k": 5}
    before = [r["product_id"] for r in client.post("/recommend", json=ask, headers=auth(keys["read"])).json()["recommendations"]]
    event = {"shopper_id": shopper, "product_id": before[0], "event_type": "purchase", "value": 9.5, "order_id": "web-1"}
    posted = client.post("/events", json=event, headers=auth(keys["generate"]))
    assert posted.status_code == 200, posted.text
    assert before[0] not in [r["product_id"] for r in posted.json()["recommendations"]]
    after = [r["product_id"] for r in client.post("/recommend", json=ask, headers=auth(keys["read"])).json()["recommendations"]]
    assert after != before and before[0] not in after
    stored = live_events(store)
    assert ((stored["shopper_id"] == shopper) & (stored["product_id"] == before[0])).any()


def test_recommend_reads_alongside_other_readers(client, keys, service):
    """A reader holding the service (another /recommend, a /generate brief) does not hold /recommend up."""
    state = client.app.state.contentgen
    held, release = threading.Event(), threading.Event()

    def hold():
        with state.lock.read():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    try:
        with ThreadPoolExecutor(1) as pool:  # behind a plain mutex this would wait the 10 s out
            answer = pool.submit(client.post, "/recommend", json={"shopper_id": some_shopper(service, 4), "k": 3},
                                 headers=auth(keys["read"])).result(timeout=5)
        assert answer.status_code == 200
    finally:
        release.set()
        holder.join(5)


def test_a_purchase_posted_amid_concurrent_recommends_is_never_answered_stale(client, keys, service):
    shopper = some_shopper(service, 9)
    ask = {"shopper_id": shopper, "k": 5}
    first = client.post("/recommend", json=ask, headers=auth(keys["read"])).json()["recommendations"][0]["product_id"]
    others = [some_shopper(service, r) for r in range(10, 18)]

    def hammer(n: int) -> int:
        codes = [client.post("/recommend", json={"shopper_id": others[(n + i) % len(others)], "k": 3},
                             headers=auth(keys["read"])).status_code for i in range(6)]
        codes.append(client.post("/recommend", json=ask, headers=auth(keys["read"])).status_code)
        return max(codes)

    with ThreadPoolExecutor(4) as pool:
        load = [pool.submit(hammer, n) for n in range(4)]
        posted = client.post("/events", json={"shopper_id": shopper, "product_id": first, "event_type": "purchase"},
                             headers=auth(keys["generate"]))
        assert posted.status_code == 200 and all(f.result(timeout=60) == 200 for f in load)
    after = client.post("/recommend", json=ask, headers=auth(keys["read"])).json()["recommendations"]
    assert first not in [r["product_id"] for r in after]


def test_a_new_shopper_seen_live_can_be_recommended_to(client, keys, service):
    product = str(service.shop.purchases["product_id"].value_counts().index[0])
    assert client.post("/recommend", json={"shopper_id": "web-visitor-9"}, headers=auth(keys["read"])).status_code == 404
    posted = client.post("/events", json={"shopper_id": "web-visitor-9", "product_id": product, "event_type": "purchase",
                                          "timestamp": "2011-12-09T10:00:00+01:00", "value": 4.0}, headers=auth(keys["generate"]))
    assert posted.status_code == 200 and posted.json()["new_shopper"] and posted.json()["segment"] == "new"
    answer = client.post("/recommend", json={"shopper_id": "web-visitor-9"}, headers=auth(keys["read"])).json()
    assert not answer["cold_start"] and product not in {r["product_id"] for r in answer["recommendations"]}


def test_events_for_unknown_products_or_odd_values_are_refused(client, keys, service):
    headers = auth(keys["generate"])
    shopper = some_shopper(service)
    assert client.post("/events", json={"shopper_id": shopper, "product_id": "nope", "event_type": "view"},
                       headers=headers).status_code == 404
    for bad in ({"event_type": "return"}, {"quantity": -1}, {"timestamp": "9999-01-01T00:00:00"}, {"value": "NaN"}):
        body = {"shopper_id": shopper, "product_id": "x", "event_type": "view", **bad}
        response = client.post("/events", json=body, headers=headers)
        assert response.status_code == 422, (bad, response.text)


def test_feedback_is_stored_once(client, keys, store):
    store.create_campaign("api-fb")
    store.add_messages("api-fb", pd.DataFrame({"message_id": ["api-m1", "api-m2"], "shopper_id": ["a", "b"]}))
    events = {"events": [{"message_id": "api-m1", "event_type": "opened", "occurred_at": "2011-12-01T09:00:00Z"},
                         {"message_id": "api-m2", "event_type": "clicked", "occurred_at": "2011-12-01T09:05:00Z"},
                         {"message_id": "unknown", "event_type": "opened", "occurred_at": "2011-12-01T09:05:00Z"}]}
    first = client.post("/feedback", json=events, headers=auth(keys["generate"])).json()
    assert first["rows_added"] == 2 and first["skipped"] == {"message id not in the store": 1}
    again = client.post("/feedback", json=events, headers=auth(keys["generate"])).json()
    assert again["rows_added"] == 0 and again["duplicates"] == 2
    assert len(store.outcomes("api-fb")) == 2


def test_campaign_endpoints_say_when_campaigns_are_off(client, keys):
    response = client.post("/campaigns", json={"name": "x", "audience_path": "a.csv"}, headers=auth(keys["admin"]))
    assert response.status_code == 501 and "--campaigns-dir" in response.json()["detail"]
    assert client.post("/campaigns", json={"name": "x", "audience_path": "a.csv"},
                       headers=auth(keys["generate"])).status_code == 403


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the planted "kill"
def test_a_campaign_cut_short_by_a_restart_resumes_once_and_writes_everyone_once(service, store, keys, tmp_path):
    from contentgen.campaign import synth_audience

    (tmp_path / "audiences").mkdir()
    synth_audience(service.shop.shoppers["shopper_id"], 60, seed=3).to_csv(tmp_path / "audiences" / "list.csv", index=False)
    limits = ApiSettings(campaigns_dir=tmp_path / "campaigns", audience_dir=tmp_path / "audiences")
    start = {"name": "API Nov", "audience_path": "list.csv", "esp": "mailchimp", "cohort": "segment",
             "postal_address": "1 High Street, London N1 1AA", "chunk_size": 10}
    first = create_app(service, store, limits)

    def killed(progress):  # the server going down mid-run, after some recipients are checkpointed
        if progress.stage == "recipients" and progress.done >= 20:
            raise KeyboardInterrupt

    first.state.campaigns.on_progress = killed
    with TestClient(first) as api:
        assert api.post("/campaigns", json={**start, "audience_path": "../escape.csv"},
                        headers=auth(keys["admin"])).status_code == 403
        assert api.post("/campaigns", json={**start, "audience_path": "none.csv"}, headers=auth(keys["admin"])).status_code == 404
        assert api.post("/campaigns", json={**start, "audience_path": "x" * 400}, headers=auth(keys["admin"])).status_code == 404
        assert api.get("/campaigns/..%2F..%2Fetc", headers=auth(keys["read"])).status_code in (404, 422)
        started = api.post("/campaigns", json=start, headers=auth(keys["admin"]))
        assert started.status_code == 202, started.text
        campaign_id = started.json()["campaign_id"]
        first.state.campaigns.join(60)
        cut = api.get(f"/campaigns/{campaign_id}", headers=auth(keys["read"])).json()
        assert cut["status"] == "running" and 0 < cut["counts"]["written"] < cut["counts"]["eligible"]
    second = create_app(service, store, limits)  # the restart: resumes the run at start-up
    with TestClient(second) as api:
        second.state.campaigns.join(120)
        done = api.get(f"/campaigns/{campaign_id}", headers=auth(keys["read"])).json()
        assert done["status"] == "done" and done["counts"]["written"] == done["counts"]["eligible"] == cut["counts"]["eligible"]
        download = api.get(done["output"], headers=auth(keys["read"]))
        assert download.status_code == 200
    from io import StringIO

    messages = pd.read_csv(StringIO(download.text), dtype=str)
    assert len(messages) == done["counts"]["ready"] and messages["message_id"].is_unique
    assert messages["Email Address"].is_unique
    stored = store.messages(campaign_id)
    assert len(stored) == done["counts"]["ready"] and stored["message_id"].is_unique
    assert create_app(service, store, limits).state.campaigns.resume() == []  # done: never run again


def test_rate_limit_answers_429_with_retry_after(service, store, keys):
    app = create_app(service, store, ApiSettings(requests_per_minute=6, request_burst=2))
    with TestClient(app) as limited:
        body = {"shopper_id": some_shopper(service)}
        codes = [limited.post("/recommend", json=body, headers=auth(keys["read"])).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = limited.post("/recommend", json=body, headers=auth(keys["read"]))
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 10
        # another key has its own bucket
        assert limited.post("/recommend", json=body, headers=auth(keys["admin"])).status_code == 200


def test_large_bodies_are_refused_with_413(client, keys):
    big = b'{"shopper_id": "' + b"x" * 70_000 + b'"}'
    response = client.post("/recommend", content=big, headers={**auth(keys["read"]), "Content-Type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    def chunks():  # no Content-Length: the body is counted as it arrives
        yield b'{"shopper_id": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    streamed = client.post("/recommend", content=chunks(), headers={**auth(keys["read"]), "Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_keys_are_stored_hashed_and_can_be_revoked(store, keys):
    with store.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("select * from api_keys"))
    assert keys["read"] not in dump and hash_key(keys["read"]) in dump
    record, key = ApiKeys(store).create("read", name="to revoke")
    assert ApiKeys(store).verify(key) == record
    ApiKeys(store).revoke(record.key_id)
    assert ApiKeys(store).verify(key) is None


def test_events_survive_a_restart(pristine, store, keys, client):
    # a service that never saw the events, on the same store: they are folded in at start-up
    assert "web-visitor-9" not in pristine.profiles
    with TestClient(create_app(pristine, store)) as restarted:
        answer = restarted.post("/recommend", json={"shopper_id": "web-visitor-9"}, headers=auth(keys["read"]))
        assert answer.status_code == 200 and not answer.json()["cold_start"]
        assert restarted.get("/health").json()["live_events"] == len(live_events(store))


def test_refit_on_command_includes_the_live_events_and_keeps_answering(client, keys, service):
    assert client.post("/refit", headers=auth(keys["generate"])).status_code == 403
    accepted = client.post("/refit", headers=auth(keys["admin"]))
    assert accepted.status_code == 202 and accepted.json()["refitting"]
    # answers go on from the current fit while the new one is built
    assert client.post("/recommend", json={"shopper_id": "web-visitor-9"}, headers=auth(keys["read"])).status_code == 200
    state = client.app.state.contentgen
    deadline = time.monotonic() + 300
    while client.get("/health").json()["refitting"] and time.monotonic() < deadline:
        time.sleep(0.5)
    refitted = state.service
    assert refitted is not service
    # the newcomer's purchase is now part of the shop the models were fitted on, not a fold-in
    assert (refitted.shop.events["shopper_id"] == "web-visitor-9").any()
    assert not refitted.recommender.is_cold(["web-visitor-9"])[0]
    answer = client.post("/recommend", json={"shopper_id": "web-visitor-9"}, headers=auth(keys["read"]))
    assert answer.status_code == 200 and not answer.json()["cold_start"]


def test_a_writer_for_another_variant_count_keeps_the_shops_policy_examples_and_reader(service, store):
    from contentgen.api.app import ServiceState

    state = ServiceState(service, store)
    base = service.writer
    other = state.writer_for(base.settings.variants + 1)
    assert other is not base and other.settings.variants == base.settings.variants + 1
    # a claim the shop's policy supports, the shop's approved examples and the ranking's reader model
    # must not depend on how many variants a request asks for
    assert (other.policy, other.exemplars, other.reader) == (base.policy, base.exemplars, base.reader)
