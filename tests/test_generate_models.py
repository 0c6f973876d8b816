"""The real packaged models through the real backend (slow: loads a model; CI still runs them)."""

from __future__ import annotations

from dataclasses import replace
import re

import pytest

from contentgen.brief import BrandVoice, OfferTerms
from contentgen.briefing import make_brief, product_fact, situation_from_features
from contentgen.generate.base import ChatPrompt, SamplingSettings
from contentgen.generate.factory import shared_generator
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.writer import Writer, WriterSettings

pytestmark = pytest.mark.slow

PROMPT = ChatPrompt("You write short marketing copy.", "Write a subject line for a cake stand.")


@pytest.fixture(scope="module", params=["transformers", "llamacpp"])
def tiny(request):
    # CI builds llama.cpp (.ci/setup.sh), so neither backend is skipped there
    return shared_generator(request.param, "smollm2-135m")


def test_batched_sampling_is_reproducible_with_a_seed(tiny):
    settings = SamplingSettings(max_new_tokens=12, temperature=0.8, seed=7)
    first = tiny.generate([PROMPT, PROMPT], settings, n=2)
    assert [len(s) for s in first] == [2, 2]
    assert all(g.text and 0 < g.new_tokens <= 12 for s in first for g in s)
    assert [[g.text for g in s] for s in first] == [[g.text for g in s] for s in tiny.generate([PROMPT, PROMPT], settings, n=2)]


def test_token_limit_marks_truncation_and_streaming_yields_text(tiny):
    [[sample]] = tiny.generate([PROMPT], SamplingSettings(max_new_tokens=3, temperature=0))
    assert sample.truncated and sample.new_tokens == 3
    streamed = "".join(tiny.stream(PROMPT, SamplingSettings(max_new_tokens=8, temperature=0)))
    assert streamed.strip()


def test_writer_on_a_real_shopper_gives_only_checked_copy(tiny, demo_shop):
    catalog = demo_shop.catalog
    bought = demo_shop.purchases["product_id"].value_counts().index[:2]
    products = [product_fact(r.product_id, r.title, r.price) for r in catalog.set_index("product_id").loc[bought].reset_index().itertuples()]
    brief = make_brief(channel="sms", products=products, situation=situation_from_features(40, 3, 100.0),
                       offer=OfferTerms("o", "percent_off", 10, "TEN", "2011-12-31", "10% off"), voice=BrandVoice("Gift Co"))
    writer = Writer(tiny, TemplateLibrary.load(), WriterSettings(variants=2, candidates=2, max_rounds=1,
                    sampling=SamplingSettings(max_new_tokens=40)), known_products=catalog["title"].tolist())
    copies = writer.write(brief)
    assert 1 <= writer.stats["candidates"] <= 2
    assert copies and all(c.passed for c in copies)
    assert all(products[0].name in c.field("body") and "TEN" in c.field("body") for c in copies)


@pytest.mark.parametrize("backend", ["transformers", "llamacpp"])
def test_default_model_writes_parseable_creative_json(backend):
    generator = shared_generator(backend, "qwen2.5-coder-1.5b")
    library = TemplateLibrary.load()
    brief = make_brief(channel="push", products=[product_fact("22423", "REGENCY CAKESTAND 3 TIER", 12.75)],
                       situation=situation_from_features(20, 4, 80.0), voice=BrandVoice("Gift Co"))
    prompt = library.render_prompt(library.for_brief(brief), brief)
    template = library.for_brief(brief)
    # the Writer's own token budget: greedy transformers output may open with a code fence
    budget = WriterSettings().sampling.max_new_tokens
    settings = SamplingSettings(max_new_tokens=budget, temperature=0, json_schema=template.json_schema())
    [[sample]] = generator.generate([ChatPrompt(prompt.system, prompt.user)], settings)
    from contentgen.generate.writer import parse_creative

    assert parse_creative(sample.text, [part.name for part in template.creative]) is not None, sample.text


def test_llamacpp_default_writes_checked_email_for_a_real_shopper(demo_shop):
    from contentgen.service import ContentService, ServiceSettings

    service = ContentService(demo_shop, ServiceSettings(variants=2, candidates=4, generator_backend="llamacpp"))
    shopper = demo_shop.purchases["shopper_id"].value_counts().index[0]
    copies = service.write(shopper, "email")
    assert copies and all(c.passed for c in copies)
    assert any(not c.fallback and c.generator == "llamacpp:qwen2.5-coder-1.5b" for c in copies), [c.text for c in copies]


def test_llamacpp_grammar_checked_after_the_draw_still_gives_only_schema_json():
    """The tiny model rarely opens with "{" by itself, so the grammar refuses draws and the full-
    vocabulary fallback runs; every sample must still be the schema's JSON object, and strict JSON:
    no raw newline inside a string (llama-cpp-python's own schema grammar allows one)."""
    import json

    generator = shared_generator("llamacpp", "smollm2-135m")
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "hook": {"type": "string"}},
              "required": ["title", "hook"], "additionalProperties": False}
    refused = 0
    for seed in range(4):
        settings = SamplingSettings(max_new_tokens=60, temperature=0.8, seed=seed, json_schema=schema)
        [[sample]] = generator.generate([PROMPT], settings)
        refused += generator._llama._sampler.refused
        if not sample.truncated:
            assert set(json.loads(sample.text)) == {"title", "hook"}, sample.text
        else:  # cut by the token limit: still a prefix of the object the grammar allows
            assert sample.text.lstrip().startswith("{"), sample.text
    assert refused > 0  # the fallback path ran


def test_steering_keeps_claim_words_out_of_a_real_models_samples(tiny):
    # the prompt asks for the very words: unsteered samples use them (checked, so the test can fail),
    # steered samples of the same seeds do not
    prompt = ChatPrompt("You write short marketing lines.",
                        "Write one sentence saying that our teapot is popular and on sale, with a great deal.")
    words = ("popular", "sale", "deal")
    uses = lambda samples: [s.text for s in samples if re.search(r"\b(popular|sale|deal)\b", s.text, re.I)]
    for temperature in (0.0, 0.8):
        settings = SamplingSettings(max_new_tokens=40, temperature=temperature, seed=3)
        plain = tiny.generate([prompt], settings, n=1 if temperature == 0.0 else 6)[0]
        steered = tiny.generate([prompt], replace(settings, avoid_words=words), n=len(plain))[0]
        assert not uses(steered), uses(steered)
        if temperature:
            assert uses(plain), [s.text for s in plain]


def test_llamacpp_grammar_refuses_a_string_that_ends_in_a_space():
    """Shown a name in quotes, the model opens a quote of its own after a space ('Check out our "'),
    and under a plain JSON grammar that quote ends the string: the copy stops at "our". The grammar
    refuses the closing quote there and allows it after a word."""
    import llama_cpp

    from contentgen.generate.backends.llamacpp import _GrammarLastSampler, json_schema_grammar

    llama = shared_generator("llamacpp", "smollm2-135m")._llama
    schema = {"type": "object", "properties": {"post": {"type": "string"}}, "required": ["post"], "additionalProperties": False}
    tokens = lambda text: llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    [quote] = tokens('"')

    class _NoChain:
        def close(self) -> None:
            pass

    def quote_allowed_after(prefix: str, word_end: bool = True) -> bool:
        sampler = _GrammarLastSampler(_NoChain(), llama._model, json_schema_grammar(schema, word_end), llama.n_vocab())
        for token in tokens(prefix):
            assert sampler._allowed(token), prefix
            llama_cpp.llama_sampler_accept(sampler.grammar, token)
        allowed = sampler._allowed(quote)
        sampler.close()
        return allowed

    assert not quote_allowed_after('{"post": "Check out our ')
    assert quote_allowed_after('{"post": "Check out our picks.')
    assert quote_allowed_after('{"post": "')  # an empty string is still a string
    assert quote_allowed_after('{"post": "Check out our ', word_end=False)  # what the plain grammar let through
