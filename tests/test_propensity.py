"""Purchase propensity: trained before a cutoff, scored on the held-out period after it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from contentgen.errors import ConfigError, DataError, NotFittedError
from contentgen.profile import PropensityConfig, PropensityModel, compute_features, evaluate_propensity
from contentgen.profile.propensity import calibration_table, labels_after, snapshot

CUTOFF = pd.Timestamp("2011-09-01")


def test_training_windows_end_at_the_cutoff():
    model = PropensityModel(PropensityConfig(horizon_days=90, training_snapshots=3, snapshot_step_days=30))
    dates = model.training_dates(CUTOFF)
    assert dates == (pd.Timestamp("2011-06-03"), pd.Timestamp("2011-05-04"), pd.Timestamp("2011-04-04"))
    assert max(dates) + pd.Timedelta(days=90) == CUTOFF


def test_fit_does_not_see_the_held_out_period(demo_shop):
    full = PropensityModel().fit(demo_shop, CUTOFF)
    blind = PropensityModel().fit(demo_shop.until(CUTOFF), CUTOFF)
    test = snapshot(demo_shop, CUTOFF, 90)
    np.testing.assert_allclose(full.predict_inputs(test.inputs), blind.predict_inputs(test.inputs))


def test_labels_count_purchases_in_the_window_only(demo_shop):
    labels = labels_after(demo_shop, CUTOFF, 90)
    purchases = demo_shop.purchases
    window = purchases[(purchases["timestamp"] >= CUTOFF) & (purchases["timestamp"] < CUTOFF + pd.Timedelta(days=90))]
    assert set(labels.index) == set(window["shopper_id"].astype(str))
    assert (labels == 1).all()


def test_predict_proba_on_profiles(demo_shop):
    model = PropensityModel().fit(demo_shop, CUTOFF)
    features = compute_features(demo_shop, CUTOFF).frame
    features = pd.concat([features, features.iloc[:1].assign(n_orders=0).set_axis(["nobody"])])
    proba = model.predict_proba(features, CUTOFF)
    assert np.isnan(proba["nobody"]) and proba.isna().sum() == (features["n_orders"] == 0).sum()
    known = proba[(features["n_orders"] > 0).to_numpy()]
    assert known.between(0, 1).all() and known.nunique() > 10


def test_unfitted_and_bad_config_errors():
    with pytest.raises(NotFittedError, match="call fit"):
        PropensityModel().predict_inputs(pd.DataFrame({"recency_days": [1.0]}))
    with pytest.raises(ConfigError, match="unknown propensity estimator 'forest'; choose one of gradient_boosting, logistic"):
        PropensityConfig(estimator="forest")


def test_held_out_period_must_exist(demo_shop):
    with pytest.raises(DataError, match=r"held-out period 2011-11-01\.\.2012-01-30 runs past the data"):
        evaluate_propensity(demo_shop, "2011-11-01")


def test_calibration_table_bins():
    labels = np.array([0, 0, 1, 1, 1, 0])
    proba = np.array([0.05, 0.15, 0.15, 0.95, 0.91, 1.0])
    table = calibration_table(labels, proba, bins=10)
    assert list(table.index) == ["0.0-0.1", "0.1-0.2", "0.9-1.0"]
    assert table["n"].tolist() == [1, 2, 3]
    assert table.loc["0.9-1.0", "observed_rate"] == pytest.approx(2 / 3)


def test_evaluate_on_demo_shop(demo_shop):
    report = evaluate_propensity(demo_shop, CUTOFF)
    assert report.calibration["n"].sum() == report.n_test
    assert 0 < report.positive_rate < 1
    assert 0.5 < report.auc <= 1 and 0.5 < report.baseline_auc <= 1
    assert "RFM-only logistic" in report.summary()


@pytest.mark.slow
@pytest.mark.parametrize("cutoff", ["2011-09-01", "2011-06-01"])
def test_beats_rfm_baseline_on_real_held_out_period(real_shop, cutoff):
    report = evaluate_propensity(real_shop, cutoff)
    print(report.summary())
    assert report.n_test > 4000
    assert 0.70 < report.baseline_auc < 0.85  # the issue measured about 0.74 for this baseline
    assert report.auc > report.baseline_auc
    assert report.brier < report.baseline_brier
    # Calibration: the observed rate rises bin by bin, and predictions are off by at most 15 points
    # (the 2011-09-01 windows are the Christmas run-up, busier than the summer it was trained on).
    filled = report.calibration[report.calibration["n"] >= 100]
    assert filled["observed_rate"].is_monotonic_increasing
    assert (filled["mean_predicted"] - filled["observed_rate"]).abs().max() < 0.15


def test_fitted_model_pickles(demo_shop):
    import pickle

    model = PropensityModel().fit(demo_shop, CUTOFF)
    test = snapshot(demo_shop, CUTOFF, 90)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(restored.predict_inputs(test.inputs), model.predict_inputs(test.inputs))
