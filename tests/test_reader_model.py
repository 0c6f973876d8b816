"""The reader model: a learned chance a reader would send a candidate, the ranking's main term."""

from __future__ import annotations

import json

import numpy as np
import pytest

from contentgen.briefing import make_brief, product_fact
from contentgen.brief import BrandVoice
from contentgen.errors import ConfigError
from contentgen.generate.backends.echo import EchoGenerator
from contentgen.generate.prompts import TemplateLibrary
from contentgen.generate.quality import rank
from contentgen.generate.reader_model import (PACKAGED, ReaderModel, ReaderModels, fit_reader_model, load_reader_model,
                                              reader_text)
from contentgen.generate.writer import Writer, WriterSettings
from contentgen.retrieval.embedders import make_embedder


def sms_brief(language="en"):
    return make_brief(channel="sms", language=language, products=[product_fact("23084", "Rabbit Night Light", 2.08)],
                      voice=BrandVoice("The Gift Shop"), shopper_id="1")


def test_the_text_it_reads_masks_product_names_and_names_the_channel():
    text = reader_text({"hook": "The rabbit night light for cosy evenings."}, sms_brief())
    assert text == "sms. hook: The the product for cosy evenings."


def test_the_packaged_models_load_one_per_language_and_fit_the_packaged_embedding_model():
    models = load_reader_model()
    assert sorted(m.language for m in models.models) == ["en", "zh"]
    for model in models.models:
        assert model.embedding_model == "all-MiniLM-L6-v2" and len(model.weights) == 384
        assert "blind reads" in model.trained_on
    assert models.for_language("en").ngrams.unit == "word" and models.for_language("zh").ngrams.unit == "char"
    assert models.for_language("fr") is None


def test_a_model_file_that_is_not_one_fails_with_the_file_named(tmp_path):
    bad = tmp_path / "reader.json"
    bad.write_text(json.dumps({"weights": [1.0]}))
    with pytest.raises(ConfigError, match="reader.json: not a reader model file"):
        load_reader_model(bad)


def test_vectors_of_another_size_are_refused():
    model = ReaderModel("hash-8", (0.1,) * 8, 0.0)
    with pytest.raises(ConfigError, match="expects 8-dimensional"):
        model.probabilities(np.zeros((2, 4)))


def test_copy_in_a_language_it_was_not_fitted_on_gets_no_score():
    model = ReaderModel("hash-8", (0.1,) * 8, 0.0)
    assert model.scores([{"hook": "兔子小夜灯"}], sms_brief("zh")) == [None]


def _reads():
    good = ["A soft glow for winter evenings.", "A little light for the bedside table.", "Warm light for dark evenings."]
    bad = ["Surprise yourself with a gift.", "Perfect for a special night out.", "Keep your mouse cool and stylish."]
    brief = sms_brief()
    return [({"hook": t}, brief, True) for t in good * 10] + [({"hook": t}, brief, False) for t in bad * 10]


def test_fitting_learns_the_reads_and_the_scores_rank_by_them():
    embedder = make_embedder("hash-64")
    model = fit_reader_model(_reads(), embedder, "hash-64", trained_on="test reads")
    good, bad = model.scores([{"hook": "A soft glow for winter evenings."}, {"hook": "Keep your mouse cool and stylish, mouse."}],
                             sms_brief(), embedder)
    assert 0 < bad < 0.5 < good < 1


def test_fitting_needs_enough_reads_with_both_verdicts():
    embedder = make_embedder("hash-8")
    reads = [({"hook": "A light."}, sms_brief(), True)] * 60
    with pytest.raises(ConfigError, match="both verdicts"):
        fit_reader_model(reads, embedder, "hash-8")


def test_a_saved_model_loads_back(tmp_path):
    model = ReaderModel("hash-8", tuple(float(i) / 10 for i in range(8)), -0.5, "test")
    model.save(tmp_path / "m.json")
    assert load_reader_model(tmp_path / "m.json") == ReaderModels((model,))


def test_a_model_file_from_before_languages_loads_as_an_english_model(tmp_path):
    # a shop's file written before one model per language: one model's fields at the top
    (tmp_path / "m.json").write_text(json.dumps({"embedding_model": "hash-8", "weights": [0.1] * 8, "bias": 0.0,
                                                 "ngrams": {"terms": ["glow"], "idf": [1.0], "weights": [2.0]}}))
    [model] = load_reader_model(tmp_path / "m.json").models
    assert model.language == "en" and model.ngrams.unit == "word" and model.ngrams.terms == ("glow",)


def test_a_file_with_two_models_for_one_language_fails_with_the_file_named(tmp_path):
    model = ReaderModel("hash-8", (0.1,) * 8, 0.0).as_dict()
    (tmp_path / "reader.json").write_text(json.dumps({"models": [model, model]}))
    with pytest.raises(ConfigError, match="reader.json: not a reader model file.*one reader model per language"):
        load_reader_model(tmp_path / "reader.json")


def test_each_language_is_scored_by_its_own_model_and_one_model_per_language():
    english = ReaderModel("hash-8", (0.0,) * 8, 2.0)
    chinese = ReaderModel("hash-8", (0.0,) * 8, -2.0, language="zh")
    models = ReaderModels((english, chinese))
    [en] = models.scores([{"hook": "A soft glow."}], sms_brief("en"), make_embedder("hash-8"))
    [zh] = models.scores([{"hook": "柔和的光。"}], sms_brief("zh"), make_embedder("hash-8"))
    assert en > 0.5 > zh
    assert ReaderModels((english,)).scores([{"hook": "柔和的光。"}], sms_brief("zh")) == [None]
    assert models.replaced(ReaderModel("hash-8", (0.0,) * 8, 0.0, language="zh")).for_language("zh").bias == 0.0
    with pytest.raises(ConfigError, match="one reader model per language"):
        ReaderModels((english, english))


def test_the_ranking_puts_the_candidate_a_reader_would_send_first():
    brief = sms_brief()
    same = [({"hook": "A soft glow, a soft glow for winter evenings."}, None), ({"hook": "A little light for the bedside table."}, None)]
    # without a reader score the second wins: the first says "a soft glow" twice
    assert [i for i, _ in rank(same, brief, 2)] == [1, 0]
    # the reader's estimate outweighs it: the reader term carries most of the score's weight
    ranked = rank(same, brief, 2, [0.6, 0.1])
    assert [i for i, _ in ranked] == [0, 1] and ranked[0][1].reader == 0.6
    # a preferred candidate (an SMS that fits one part) comes before any score
    assert [i for i, _ in rank(same, brief, 2, [0.6, 0.1], preferred=[False, True])] == [1, 0]


def test_the_writer_ranks_with_its_reader_model_and_shows_the_score():
    library = TemplateLibrary.load()
    embedder = make_embedder("hash-64")
    model = fit_reader_model(_reads(), embedder, "hash-64")
    answers = [json.dumps({"hook": "Perfect for a special night out."}), json.dumps({"hook": "A soft glow for winter evenings."})]
    generator = EchoGenerator(lambda prompt, index, settings: answers[index % 2])
    writer = Writer(generator, library, WriterSettings(variants=1, candidates=2, max_rounds=1), reader=model)
    [copies] = writer.write_many([sms_brief()])
    assert "soft glow" in copies[0].text
    assert dict(copies[0].quality_parts)["reader"] > 0.5
    # without one, the same candidates are ranked by the other parts and no reader score is shown
    [plain] = Writer(generator, library, WriterSettings(variants=1, candidates=2, max_rounds=1)).write_many([sms_brief()])
    assert dict(plain[0].quality_parts)["reader"] is None


def test_the_packaged_file_is_the_one_the_package_ships():
    assert PACKAGED.name == "reader_model.json" and PACKAGED.exists()


def test_the_variant_card_shows_the_readers_estimate():
    from contentgen.presenters import variant_card

    library = TemplateLibrary.load()
    embedder = make_embedder("hash-64")
    model = fit_reader_model(_reads(), embedder, "hash-64")
    generator = EchoGenerator(lambda prompt, index, settings: json.dumps({"hook": "A soft glow for winter evenings."}))
    [[copy]] = Writer(generator, library, WriterSettings(variants=1, candidates=1, max_rounds=1), reader=model).write_many([sms_brief()])
    estimate = dict(copy.quality_parts)["reader"]
    assert f"a reader would send it: {estimate:.0%}" in variant_card(copy)
    # an edit is scored again, the reader's estimate with it
    revised = Writer(generator, library, reader=model).revise(copy, sms_brief(), {"hook": "Perfect for a special night out."})
    assert dict(revised.quality_parts)["reader"] < estimate


def test_a_minimum_reader_estimate_keeps_doubtful_candidates_out_and_falls_back():
    library = TemplateLibrary.load()
    embedder = make_embedder("hash-64")
    model = fit_reader_model(_reads(), embedder, "hash-64")
    doubtful = json.dumps({"hook": "Perfect for a special night out."})
    generator = EchoGenerator(lambda prompt, index, settings: doubtful, batches=False)
    [[kept]] = Writer(generator, library, WriterSettings(variants=1, candidates=2, max_rounds=1),
                      reader=model).write_many([sms_brief()])
    assert not kept.fallback  # no minimum: the passing candidate is sent
    writer = Writer(generator, library, WriterSettings(variants=1, candidates=2, max_rounds=1, min_reader=0.5), reader=model)
    [[copy]] = writer.write_many([sms_brief()])
    assert copy.fallback and writer.stats["reader_below_min"] == 2  # both samples, below the minimum


@pytest.mark.parametrize("unit, corpus, unseen", [
    ("word", ["sms. hook: Perfect for any occasion.", "push. hook: Perfect for any occasion - Perfect!",
              "sms. hook: You've been looking for a gift?", "email. hook: A soft glow, for winter evenings: cosy.",
              "sms. hook: A soft glow for any table."], ["Nothing it has seen.", "", "ANY OCCASION any occasion, any occasion!"]),
    ("char", ["sms. hook: 为您精选，温暖冬夜。", "push. hook: 温暖冬夜，为您精选！", "ad. headline: 为家里添一点温暖  | body: 冬夜好物。",
              "social. post: 冬夜的温暖，来自 the product。", "sms. hook: 您好，为您精选。"],
     ["从未见过的句子。", "", "温暖  温暖\t温暖！WARM"]),
])
def test_the_ngram_features_are_scikit_learns_computed_again(unit, corpus, unseen):
    from contentgen.generate.reader_model import Ngrams, ngram_vectorizer

    corpus = corpus * 2
    vectorizer = ngram_vectorizer(min_reads=2, unit=unit).fit(corpus)
    weights = np.random.default_rng(0).normal(size=len(vectorizer.idf_))
    ngrams = Ngrams(tuple(vectorizer.get_feature_names_out()), tuple(vectorizer.idf_), tuple(weights), unit=unit)
    texts = corpus[:5] + unseen
    expected = vectorizer.transform(texts) @ weights
    assert np.allclose(ngrams.logits(texts), expected)


def test_a_chinese_model_reads_character_ngrams_where_words_would_be_whole_clauses():
    # Chinese has no spaces: a word pattern takes "欢迎您来看看这款" whole, so no phrasing repeats; characters do
    brief = sms_brief("zh")
    sent = ["冬夜里的一点温暖。", "为您的小家添一抹光。", "柔和的灯光陪您入夜。", "给生活一点小惊喜。", "简单的小物，安静的美。"]
    refused = [f"我们发现您对{t[:-1]}感兴趣。" for t in sent]
    reads = [({"hook": t}, brief, True) for t in sent * 6] + [({"hook": t}, brief, False) for t in refused * 6]
    embedder = make_embedder("hash-8")
    model = fit_reader_model(reads, embedder, "hash-8", language="zh")
    assert model.language == "zh" and model.ngrams.unit == "char" and "我们发" in model.ngrams.terms
    good, bad = model.scores([{"hook": "窗边的一盏小灯。"}, {"hook": "我们发现您对窗边的一盏小灯感兴趣。"}], brief, embedder)
    assert bad < 0.5 < good
    assert model.scores([{"hook": "A lamp."}], sms_brief("en"), embedder) == [None]  # it reads Chinese copy only
    with pytest.raises(ConfigError, match="reads in 'zh'"):
        fit_reader_model([(c, sms_brief("en"), s) for c, _, s in reads], embedder, "hash-8", language="zh")


def test_the_ngram_term_learns_a_phrasing_the_embedding_cannot_tell_apart():
    # an 8-wide hashed embedding cannot separate these; "any occasion" in every refused read can
    brief = sms_brief()
    sent = ["A soft glow for winter evenings.", "A little light for the bedside table.", "Warm light for dark evenings.",
            "A glow for the hallway.", "A gentle light for reading."]
    refused = [f"{t[:-1]}, perfect for any occasion." for t in sent]
    reads = [({"hook": t}, brief, True) for t in sent * 6] + [({"hook": t}, brief, False) for t in refused * 6]
    embedder = make_embedder("hash-8")
    with_ngrams = fit_reader_model(reads, embedder, "hash-8")
    plain = fit_reader_model(reads, embedder, "hash-8", ngram_min_reads=None)
    new = [{"hook": "A calm light for the desk."}, {"hook": "A calm light for the desk, perfect for any occasion."}]
    good, bad = with_ngrams.scores(new, brief, embedder)
    assert bad < 0.5 < good
    assert plain.ngrams is None and with_ngrams.ngrams is not None
    plain_good, plain_bad = plain.scores(new, brief, embedder)
    assert good - bad > plain_good - plain_bad


def test_a_saved_model_with_ngrams_loads_back_and_scores_the_same(tmp_path):
    embedder = make_embedder("hash-64")
    model = fit_reader_model(_reads(), embedder, "hash-64")
    assert model.ngrams is not None
    model.save(tmp_path / "m.json")
    loaded = load_reader_model(tmp_path / "m.json")
    candidates = [{"hook": "A soft glow for winter evenings."}, {"hook": "Perfect for a special night out."}]
    assert np.allclose(loaded.scores(candidates, sms_brief(), embedder), model.scores(candidates, sms_brief(), embedder), atol=1e-4)


def test_the_packaged_model_reads_phrasings():
    ngrams = load_reader_model().for_language("en").ngrams
    assert ngrams is not None and len(ngrams.terms) > 1000 and "any occasion" in ngrams.terms
