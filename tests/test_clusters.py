"""K-means clustering picks k by silhouette and describes every cluster in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from contentgen.errors import DataError
from contentgen.profile import NOT_CLUSTERED, ClusterConfig, fit_clusters
from contentgen.profile.clusters import describe_clusters

BLOBS = ClusterConfig(k_min=2, k_max=7, features=("x", "y"), log_features=(), seed=0)


def _blobs(centers, per_blob=60, spread=0.3, seed=1):
    rng = np.random.default_rng(seed)
    points, truth = [], []
    for label, center in enumerate(centers):
        points.append(rng.normal(center, spread, size=(per_blob, 2)))
        truth += [label] * per_blob
    values = np.vstack(points)
    index = pd.Index([f"s{i}" for i in range(len(values))], name="shopper_id")
    return pd.DataFrame(values, columns=["x", "y"], index=index), np.array(truth)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_picks_the_true_k_on_blobs(k):
    centers = [(10 * np.cos(a), 10 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, k, endpoint=False)]
    frame, truth = _blobs(centers)
    result = fit_clusters(frame, BLOBS)
    assert result.k == k
    assert result.silhouette == max(result.silhouette_by_k.values()) and result.silhouette > 0.7
    # Each true blob maps onto exactly one cluster.
    crosstab = pd.crosstab(truth, result.labels.to_numpy())
    assert ((crosstab > 0).sum(axis=1) == 1).all() and ((crosstab > 0).sum(axis=0) == 1).all()


def test_deterministic_and_numbered_by_size():
    frame, _ = _blobs([(0, 0), (10, 0), (0, 10)], per_blob=50)
    frame = pd.concat([frame, _blobs([(0, 0)], per_blob=30, seed=7)[0].set_axis([f"t{i}" for i in range(30)])])
    first, second = fit_clusters(frame, BLOBS), fit_clusters(frame, BLOBS)
    assert first.labels.equals(second.labels)
    sizes = [d.size for d in first.descriptions]
    assert sizes == sorted(sizes, reverse=True) and first.labels.value_counts()[0] == 80


def test_rows_mask_leaves_others_unclustered():
    frame, _ = _blobs([(0, 0), (10, 10)])
    mask = pd.Series(True, index=frame.index)
    mask.iloc[:5] = False
    result = fit_clusters(frame, BLOBS, rows=mask)
    assert (result.labels.iloc[:5] == NOT_CLUSTERED).all() and (result.labels.iloc[5:] >= 0).all()


def test_tiny_outlier_clusters_are_not_chosen():
    frame, _ = _blobs([(0, 0), (10, 0)], per_blob=100)
    outliers = pd.DataFrame({"x": [5.0, 5.2, 4.8], "y": [15.0, 15.2, 14.8]}, index=["o1", "o2", "o3"])
    frame = pd.concat([frame, outliers])
    unconstrained = fit_clusters(frame, ClusterConfig(k_min=2, k_max=7, features=("x", "y"), log_features=(),
                                                      min_cluster_share=0.0))
    assert min(d.size for d in unconstrained.descriptions) == 3  # silhouette alone likes the 3-shopper cluster
    result = fit_clusters(frame, BLOBS)
    assert min(d.size for d in result.descriptions) >= 0.02 * len(frame)
    with pytest.raises(DataError, match="lower ClusterConfig.min_cluster_share or k_min"):
        fit_clusters(frame, ClusterConfig(k_min=3, k_max=3, features=("x", "y"), log_features=(), min_cluster_share=0.6))


def test_missing_feature_is_named():
    frame, _ = _blobs([(0, 0), (10, 10)])
    with pytest.raises(DataError, match=r"clustering needs feature columns \['z'\]"):
        fit_clusters(frame, ClusterConfig(features=("x", "z")))


def test_descriptions_in_words():
    index = pd.Index([f"s{i}" for i in range(6)], name="shopper_id")
    features = pd.DataFrame({
        "recency_days": [5, 6, 7, 300, 310, 320],
        "n_orders": [20, 25, 30, 1, 1, 2],
        "monetary": [5000, 6000, 7000, 50, 60, 70],
    }, index=index)
    labels = pd.Series([0, 0, 0, 1, 1, 1], index=index)
    affinity = pd.DataFrame({"bags": [0.9, 0.8, 0.9, 0.1, 0.0, 0.1], "christmas": [0.1, 0.2, 0.1, 0.9, 1.0, 0.9]},
                            index=index)
    first, second = describe_clusters(features, labels, affinity, top_n=1)
    assert first.name == "recent · frequent · high spend" and first.top_categories == ("bags",)
    assert second.name == "lapsed · occasional · low spend" and second.top_categories == ("christmas",)
    assert second.text.startswith("Cluster 1 (3 shoppers): lapsed · occasional · low spend: median 310 days")
    assert "1 order," in second.text and "leans to christmas" in second.text


def test_demo_shop_clusters(demo_shop):
    from contentgen.profile import build_profiles

    profiles = build_profiles(demo_shop)
    result = profiles.clusters
    assert result is not None and 2 <= result.k <= 8
    clustered = profiles.frame["cluster"] != NOT_CLUSTERED
    assert (clustered == (profiles.frame["n_orders"] > 0)).all()
    assert sum(d.size for d in result.descriptions) == int(clustered.sum())
    assert all(d.top_categories for d in result.descriptions)
    assert result.table().shape[0] == result.k
