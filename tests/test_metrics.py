"""Ranking metrics against cases computed by hand."""

from __future__ import annotations

import math

import pytest

from contentgen.evaluate.metrics import (
    average_precision_at_k,
    catalog_coverage,
    evaluate_rankings,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)


def test_precision_and_recall_by_hand():
    ranked = ["a", "b", "c", "d"]
    relevant = {"b", "d", "z"}
    assert precision_at_k(ranked, relevant, 2) == pytest.approx(1 / 2)
    assert precision_at_k(ranked, relevant, 4) == pytest.approx(2 / 4)
    assert recall_at_k(ranked, relevant, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, relevant, 4) == pytest.approx(2 / 3)


def test_ndcg_by_hand():
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal for 3 relevant in top 4 = 1 + 1/log2(3) + 1/2
    ranked = ["a", "b", "c", "d"]
    relevant = {"b", "d", "z"}
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, relevant, 4) == pytest.approx(dcg / ideal)


def test_ndcg_perfect_and_empty():
    assert ndcg_at_k(["x", "y"], {"x", "y"}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x"], {"x", "y", "z"}, 1) == pytest.approx(1.0)  # ideal is capped at k
    assert ndcg_at_k(["a", "b"], set(), 2) == 0.0
    assert ndcg_at_k([], {"a"}, 5) == 0.0


def test_average_precision_divides_by_relevant_count():
    # hits at 1 and 3: (1/1 + 2/3) / 4 relevant
    assert average_precision_at_k(["a", "x", "b"], {"a", "b", "c", "d"}, 3) == pytest.approx((1 + 2 / 3) / 4)


def test_coverage_counts_distinct_products_in_top_k():
    assert catalog_coverage([["a", "b", "c"], ["a", "d"]], 10, 2) == pytest.approx(3 / 10)


def test_evaluate_rankings_counts_missing_rankings_as_misses():
    truth = {"u1": {"a"}, "u2": {"b"}, "u3": set()}
    result = evaluate_rankings({"u1": ["a", "q"]}, truth, k=2, catalog_size=4)
    assert result["shoppers"] == 2  # u3 has nothing to find
    assert result["recall"] == pytest.approx(0.5)
    assert result["ndcg"] == pytest.approx(0.5)
    assert result["precision"] == pytest.approx(0.25)
    assert result["coverage"] == pytest.approx(2 / 4)  # "a" and "q" were shown
