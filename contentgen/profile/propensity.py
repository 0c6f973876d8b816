"""Purchase propensity: will a shopper buy within the next ``horizon_days``?

Trained on feature snapshots taken before a cutoff, each labelled by what the shopper did in
the ``horizon_days`` after its snapshot; evaluated on the held-out period after the cutoff,
next to an RFM-only logistic baseline trained and scored on exactly the same rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contentgen.data.schema import Shop
from contentgen.errors import DataError, NotFittedError
from contentgen.profile.config import ProfileConfig, PropensityConfig
from contentgen.profile.features import compute_features

logger = logging.getLogger(__name__)

LOW_NOTE = " (running low: the held-out window was busier than the training windows)"

RFM_FEATURES: tuple[str, ...] = ("recency_days", "n_orders", "monetary")

# Everything numeric the feature stage knows about a shopper's history; windows are added per config.
MODEL_FEATURES: tuple[str, ...] = (
    "recency_days",
    "n_orders",
    "monetary",
    "avg_order_value",
    "return_value",
    "return_rate",
    "mean_interpurchase_days",
    "tenure_days",
    "days_since_first_purchase",
    "overdue_ratio",
    "n_products",
    "n_categories",
    "orders_season_last_year",
    "n_purchase",
    "n_return",
    "n_view",
    "n_cart",
)


def model_inputs(features: pd.DataFrame, as_of: pd.Timestamp, windows: tuple[int, ...]) -> pd.DataFrame:
    """The numeric matrix the propensity model reads, derived from a feature frame."""
    frame = pd.DataFrame(index=features.index)
    frame["days_since_first_purchase"] = (pd.Timestamp(as_of) - features["first_purchase"]) / pd.Timedelta(days=1)
    # How late the next order is against the shopper's own rhythm: 2.0 = twice the usual gap.
    frame["overdue_ratio"] = features["recency_days"] / features["mean_interpurchase_days"].where(
        features["mean_interpurchase_days"] > 0
    )
    columns = [c for c in MODEL_FEATURES if c not in frame]
    for column in columns:
        frame[column] = features[column] if column in features else 0.0
    for window in windows:
        frame[f"orders_{window}d"] = features[f"orders_{window}d"]
        frame[f"spend_{window}d"] = features[f"spend_{window}d"]
    return frame[[c for c in MODEL_FEATURES] + [c for c in frame.columns if c not in MODEL_FEATURES]].astype("float64")


def labels_after(shop: Shop, start: pd.Timestamp, horizon_days: int) -> pd.Series:
    """1 for shoppers with a purchase in [start, start + horizon_days), indexed by shopper_id."""
    end = pd.Timestamp(start) + pd.Timedelta(days=horizon_days)
    purchases = shop.purchases
    window = purchases[(purchases["timestamp"] >= start) & (purchases["timestamp"] < end)]
    return pd.Series(1, index=pd.Index(window["shopper_id"].astype(str).unique(), name="shopper_id"), name="label")


@dataclass(frozen=True)
class Snapshot:
    """Model inputs and labels of shoppers with history at one date."""

    as_of: pd.Timestamp
    inputs: pd.DataFrame
    rfm: pd.DataFrame
    labels: pd.Series


def snapshot(shop: Shop, as_of: pd.Timestamp, horizon_days: int, profile_config: ProfileConfig = ProfileConfig()) -> Snapshot:
    """Features of every shopper who had bought before ``as_of``, labelled by the next horizon."""
    as_of = pd.Timestamp(as_of)
    features = compute_features(shop, as_of, profile_config).frame
    features = features[features["n_orders"] > 0]
    labels = labels_after(shop, as_of, horizon_days).reindex(features.index, fill_value=0).astype("int64")
    inputs = model_inputs(features, as_of, profile_config.windows_days)
    return Snapshot(as_of, inputs, features[list(RFM_FEATURES)].astype("float64"), labels)


def _signed_log(values: np.ndarray) -> np.ndarray:
    # Module-level (not a lambda) so fitted models pickle for batch engines.
    return np.sign(values) * np.log1p(np.abs(values))


def _make_estimator(name: str, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if name == "gradient_boosting":
        # Shallow, strongly regularised trees: a few thousand shoppers per snapshot overfit fast.
        return HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
            random_state=seed,
        )
    # Money and counts are heavy-tailed: log them so one wholesaler does not set the scale.
    signed_log = FunctionTransformer(_signed_log)
    return make_pipeline(SimpleImputer(strategy="median"), signed_log, StandardScaler(), LogisticRegression(max_iter=1000))


class PropensityModel:
    """Probability that a shopper buys within ``config.horizon_days``.

    ``fit(shop, cutoff)`` trains on snapshots whose label windows end at or before ``cutoff``,
    so nothing from the held-out period after the cutoff is seen.
    """

    def __init__(self, config: PropensityConfig = PropensityConfig(), profile_config: ProfileConfig = ProfileConfig()) -> None:
        self.config = config
        self.profile_config = profile_config
        self._estimator = None
        self.columns: tuple[str, ...] = ()
        self.trained_on: tuple[pd.Timestamp, ...] = ()

    def training_dates(self, cutoff: pd.Timestamp) -> tuple[pd.Timestamp, ...]:
        """Snapshot dates used for training: the last one's label window ends at ``cutoff``."""
        last = pd.Timestamp(cutoff) - pd.Timedelta(days=self.config.horizon_days)
        step = pd.Timedelta(days=self.config.snapshot_step_days)
        return tuple(last - i * step for i in range(self.config.training_snapshots))

    def fit(self, shop: Shop, cutoff: pd.Timestamp | str) -> "PropensityModel":
        """Train on snapshots before ``cutoff`` (see ``training_dates``)."""
        snapshots = [snapshot(shop, d, self.config.horizon_days, self.profile_config) for d in self.training_dates(cutoff)]
        return self.fit_snapshots(snapshots)

    def fit_snapshots(self, snapshots: list[Snapshot]) -> "PropensityModel":
        """Train on prepared snapshots (lets an evaluation share them with its baseline)."""
        inputs = pd.concat([s.inputs for s in snapshots])
        labels = pd.concat([s.labels for s in snapshots])
        if labels.nunique() < 2:
            raise DataError(
                f"propensity training needs shoppers who bought and who did not in the {self.config.horizon_days} "
                "days after each snapshot; all labels are equal: move the cutoff or shorten the horizon"
            )
        self.columns = tuple(inputs.columns)
        self._estimator = _make_estimator(self.config.estimator, self.config.seed).fit(inputs.to_numpy(), labels.to_numpy())
        self.trained_on = tuple(s.as_of for s in snapshots)
        logger.info("propensity %s trained on %d rows from %d snapshots", self.config.estimator, len(labels), len(snapshots))
        return self

    def predict_inputs(self, inputs: pd.DataFrame) -> pd.Series:
        """Probabilities for a prepared model-input frame."""
        if self._estimator is None:
            raise NotFittedError("PropensityModel must be fitted first: call fit(shop, cutoff)")
        proba = self._estimator.predict_proba(inputs[list(self.columns)].to_numpy())[:, 1]
        return pd.Series(proba, index=inputs.index, name="propensity")

    def predict_proba(self, features: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
        """Probability of buying in the next horizon for each row of a feature frame at ``as_of``.

        Shoppers with no purchase history get NaN: the model has nothing to go on for them.
        """
        buyers = features["n_orders"] > 0
        out = pd.Series(np.nan, index=features.index, name="propensity")
        if buyers.any():
            inputs = model_inputs(features[buyers], as_of, self.profile_config.windows_days)
            out[buyers.to_numpy()] = self.predict_inputs(inputs).to_numpy()
        return out


@dataclass(frozen=True)
class PropensityReport:
    """Held-out evaluation: our model next to the RFM-only logistic baseline on the same split."""

    cutoff: pd.Timestamp
    horizon_days: int
    estimator: str
    n_train: int
    n_test: int
    positive_rate: float
    auc: float
    baseline_auc: float
    brier: float
    baseline_brier: float
    calibration: pd.DataFrame = field(repr=False)  # per predicted-probability bin: n, mean_predicted, observed_rate
    training_dates: tuple[pd.Timestamp, ...] = ()
    mean_predicted: float = float("nan")  # calibration in the large: compare with positive_rate

    def summary(self) -> str:
        """A few readable lines."""
        return (
            f"purchase in the {self.horizon_days} days after {self.cutoff.date()}: {self.n_test:,} shoppers "
            f"with history, {self.positive_rate:.1%} bought\n"
            f"  {self.estimator:<20} AUC {self.auc:.3f}  Brier {self.brier:.4f}\n"
            f"  {'RFM-only logistic':<20} AUC {self.baseline_auc:.3f}  Brier {self.baseline_brier:.4f}\n"
            f"  trained on {self.n_train:,} rows from snapshots "
            + ", ".join(str(d.date()) for d in self.training_dates)
            + f"\n  mean predicted {self.mean_predicted:.1%} vs {self.positive_rate:.1%} observed"
            + (LOW_NOTE if self.mean_predicted < self.positive_rate - 0.03 else "")
        )


def calibration_table(labels: np.ndarray, proba: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Shoppers grouped by predicted probability (equal-width bins): predicted vs observed rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(proba, edges[1:-1]), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "label": labels, "proba": proba})
    grouped = frame.groupby("bin").agg(n=("label", "size"), mean_predicted=("proba", "mean"), observed_rate=("label", "mean"))
    grouped.index = [f"{edges[i]:.1f}-{edges[i + 1]:.1f}" for i in grouped.index]
    grouped.index.name = "predicted"
    return grouped


def evaluate_propensity(
    shop: Shop,
    cutoff: pd.Timestamp | str = "2011-09-01",
    config: PropensityConfig = PropensityConfig(),
    profile_config: ProfileConfig = ProfileConfig(),
) -> PropensityReport:
    """Train before ``cutoff``, score the held-out ``horizon_days`` after it; baseline on the same split."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    cutoff = pd.Timestamp(cutoff)
    end = cutoff + pd.Timedelta(days=config.horizon_days)
    last_event = shop.events["timestamp"].max()
    if pd.isna(last_event) or last_event < end - pd.Timedelta(days=1):
        raise DataError(
            f"the held-out period {cutoff.date()}..{end.date()} runs past the data (last event {last_event}); "
            f"choose a cutoff at least {config.horizon_days} days before the last event"
        )
    model = PropensityModel(config, profile_config)
    train = [snapshot(shop, d, config.horizon_days, profile_config) for d in model.training_dates(cutoff)]
    model.fit_snapshots(train)
    test = snapshot(shop, cutoff, config.horizon_days, profile_config)
    if test.labels.nunique() < 2:
        raise DataError(f"every shopper has the same label after {cutoff.date()}; AUC is undefined: move the cutoff")
    proba = model.predict_inputs(test.inputs).to_numpy()

    # The baseline sees only R, F and M, log-scaled, trained on the very same rows.
    baseline = _make_estimator("logistic", config.seed)
    baseline.fit(pd.concat([s.rfm for s in train]).to_numpy(), pd.concat([s.labels for s in train]).to_numpy())
    baseline_proba = baseline.predict_proba(test.rfm.to_numpy())[:, 1]

    y = test.labels.to_numpy()
    return PropensityReport(
        cutoff=cutoff,
        horizon_days=config.horizon_days,
        estimator=config.estimator,
        n_train=int(sum(len(s.labels) for s in train)),
        n_test=int(len(y)),
        positive_rate=float(y.mean()),
        auc=float(roc_auc_score(y, proba)),
        baseline_auc=float(roc_auc_score(y, baseline_proba)),
        brier=float(brier_score_loss(y, proba)),
        baseline_brier=float(brier_score_loss(y, baseline_proba)),
        calibration=calibration_table(y, proba, config.calibration_bins),
        training_dates=model.trained_on,
        mean_predicted=float(proba.mean()),
    )
