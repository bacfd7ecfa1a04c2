"""Churn rankers to judge the engine against, each from transactions before a cut.

Every function returns a churn score per customer: higher means likelier to buy nothing in
(cut, cut + H]. BG/NBD and gradient boosting are fitted in batch with hindsight; the naive
rules need no fitting at all.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter
from lifetimes.utils import summary_data_from_transaction_data
from sklearn.ensemble import HistGradientBoostingClassifier

# The naive silence rule: silent for more than this many of the customer's own mean gaps
# (or than this many times ONE_PURCHASE_GAP_DAYS after a single purchase).
SILENCE_GAPS = 2.0
ONE_PURCHASE_GAP_DAYS = 30.0


def _naive(cut: datetime) -> pd.Timestamp:
    return pd.Timestamp(cut.replace(tzinfo=None))


def rfm(transactions: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Recency, frequency, monetary value and tenure per customer, from purchases before ``at``.

    Frequency counts distinct purchase days; gap is the mean days between them.
    """
    history = transactions[transactions["date"] < at]
    days = history.groupby(["customer", "date"], as_index=False)["amount"].sum()
    grouped = days.groupby("customer")
    frame = pd.DataFrame(
        {
            "recency": (at - grouped["date"].max()).dt.days,
            "tenure": (at - grouped["date"].min()).dt.days,
            "frequency": grouped.size(),
            "monetary": grouped["amount"].mean(),
        }
    )
    frame["gap"] = np.where(
        frame["frequency"] > 1,
        (frame["tenure"] - frame["recency"]) / (frame["frequency"] - 1).clip(lower=1),
        ONE_PURCHASE_GAP_DAYS,
    )
    return frame


def days_since_last_purchase(transactions: pd.DataFrame, cut: datetime) -> dict[str, float]:
    return rfm(transactions, _naive(cut))["recency"].astype(float).to_dict()


def silence_rule(transactions: pd.DataFrame, cut: datetime) -> dict[str, float]:
    """1 for customers silent past twice their own mean gap, else 0 (ties broken by silence)."""
    frame = rfm(transactions, _naive(cut))
    overdue = (frame["recency"] > SILENCE_GAPS * frame["gap"]).astype(float)
    # a tiny tie-break keeps the rule's own decision first and ranks within it by silence
    return (overdue + frame["recency"] / (10.0 * (frame["recency"].max() + 1))).to_dict()


def bgnbd(transactions: pd.DataFrame, cut: datetime, horizon_days: int) -> dict[str, float]:
    """Minus BG/NBD's expected purchases in the next H days (Fader, Hardie and Lee 2005)."""
    at = _naive(cut)
    history = transactions[transactions["date"] < at]
    summary = summary_data_from_transaction_data(
        history, "customer", "date", freq="D", observation_period_end=at - pd.Timedelta(days=1)
    )
    model = BetaGeoFitter(penalizer_coef=0.001).fit(
        summary["frequency"], summary["recency"], summary["T"]
    )
    expected = model.conditional_expected_number_of_purchases_up_to_time(
        horizon_days, summary["frequency"], summary["recency"], summary["T"]
    )
    return {str(customer): -float(value) for customer, value in expected.items()}


def gradient_boosting(
    transactions: pd.DataFrame, cut: datetime, horizon_days: int
) -> dict[str, float]:
    """scikit-learn's HistGradientBoostingClassifier on RFM features, the usual batch approach.

    Trained with hindsight on the customers as they were at cut - H, labelled by whether they
    bought in (cut - H, cut]; then applied to everyone as they are at the cut.
    """
    at = _naive(cut)
    then = at - pd.Timedelta(days=horizon_days)
    train = rfm(transactions, then)
    bought = transactions[(transactions["date"] >= then) & (transactions["date"] < at)]
    churned = ~train.index.isin(bought["customer"].unique())
    model = HistGradientBoostingClassifier(random_state=0).fit(train, churned)
    now = rfm(transactions, at)
    return dict(zip(now.index, model.predict_proba(now[train.columns])[:, 1], strict=True))
