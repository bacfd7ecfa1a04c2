"""Prediction quality on real transactions: the engine online against BG/NBD in batch.

    python -m benchmarks.quality [--cuts 1997-09-30,...] [--json]

CDNOW sample (2,357 customers of an online CD store, 1997-1998, shipped inside the
``lifetimes`` package) becomes purchase events. For each cut date, everything before it is
replayed through the real engine, which only knows what it learned online from its own
delayed labels; BG/NBD (Fader, Hardie and Lee 2005) is fitted on the same history with full
hindsight and ranks by expected purchases in the next H days; two naive baselines rank by days
since last purchase and by purchase count. All are judged on who bought nothing in (cut, cut+H].
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lifetimes
import numpy as np
import orjson
import pandas as pd
from lifetimes import BetaGeoFitter
from lifetimes.utils import summary_data_from_transaction_data
from rich.console import Console
from rich.table import Table
from sklearn.metrics import average_precision_score, roc_auc_score

from benchmarks.replay import churned_after, replay_until
from streams.settings import Settings

DEFAULT_CUTS = ("1997-09-30", "1997-12-31", "1998-03-31")


def cdnow_transactions() -> pd.DataFrame:
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    frame = pd.read_csv(
        path, sep=r"\s+", header=None, names=["customer", "index", "date", "quantity", "amount"]
    )
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return frame


def as_events(transactions: pd.DataFrame) -> list[dict[str, object]]:
    """Each transaction as a purchase event at noon UTC of its day, in event-time order."""
    events = []
    for row in transactions.itertuples():
        day = row.date.strftime("%Y-%m-%d")
        events.append(
            {
                "type": "purchase",
                "event_id": f"cdnow-{row.Index}",
                "customer_id": f"{row.customer:05d}",
                "timestamp": f"{day}T12:00:00Z",
                "amount": float(row.amount),
                "quantity": max(int(row.quantity), 1),
            }
        )
    return sorted(events, key=lambda e: (str(e["timestamp"]), str(e["event_id"])))


def bgnbd_churn_scores(
    transactions: pd.DataFrame, cut: datetime, horizon_days: int
) -> dict[str, float]:
    """Minus BG/NBD's expected purchases in the next H days: higher means likelier churn."""
    history = transactions[transactions["date"] < pd.Timestamp(cut.replace(tzinfo=None))]
    summary = summary_data_from_transaction_data(
        history,
        "customer",
        "date",
        freq="D",
        observation_period_end=pd.Timestamp(cut.replace(tzinfo=None)) - pd.Timedelta(days=1),
    )
    model = BetaGeoFitter(penalizer_coef=0.001).fit(
        summary["frequency"], summary["recency"], summary["T"]
    )
    expected = model.conditional_expected_number_of_purchases_up_to_time(
        horizon_days, summary["frequency"], summary["recency"], summary["T"]
    )
    return {f"{customer:05d}": -float(value) for customer, value in expected.items()}


def _judge(truth: dict[str, bool], scores: dict[str, float]) -> dict[str, float]:
    customers = sorted(truth)
    y = [truth[c] for c in customers]
    s = [scores[c] for c in customers]
    return {
        "roc_auc": round(roc_auc_score(y, s), 4),
        "average_precision": round(average_precision_score(y, s), 4),
    }


def calibration(
    truth: dict[str, bool], risk: dict[str, float], bins: int = 10
) -> list[dict[str, float]]:
    """Predicted against observed churn rate in deciles of predicted risk."""
    customers = sorted(truth, key=lambda c: risk[c])
    rows = []
    for chunk in np.array_split(np.array(customers), bins):
        rows.append(
            {
                "predicted": round(float(np.mean([risk[c] for c in chunk])), 3),
                "observed": round(float(np.mean([truth[c] for c in chunk])), 3),
                "customers": len(chunk),
            }
        )
    return rows


def evaluate_cut(
    settings: Settings, transactions: pd.DataFrame, events: list[dict[str, object]], cut: datetime
) -> dict[str, Any]:
    at = cut.timestamp()
    truth = churned_after(events, at, settings.horizon_days)
    result = replay_until(settings, events, at)
    engine = {s.customer_id: s.risk for s in result.engine}
    recency = {s.customer_id: s.recency_days for s in result.engine}
    frequency = {s.customer_id: -float(s.frequency) for s in result.engine}
    bgnbd = bgnbd_churn_scores(transactions, cut, settings.horizon_days)
    return {
        "cut": cut.date().isoformat(),
        "customers": len(truth),
        "covered_by_engine": len(set(truth) & set(engine)),
        "churn_rate": round(sum(truth.values()) / len(truth), 4),
        "model_version": result.engine[0].model_version,
        "labels_seen": (result.model or {}).get("labels_seen"),
        "replay_s": result.elapsed_s,
        "scores": {
            "engine": _judge(truth, engine),
            "engine_heuristic": _judge(truth, {s.customer_id: s.risk for s in result.heuristic}),
            "bg_nbd": _judge(truth, bgnbd),
            "days_since_last_purchase": _judge(truth, recency),
            "purchase_count": _judge(truth, frequency),
        },
        "engine_calibration": calibration(truth, engine),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cuts", default=",".join(DEFAULT_CUTS), help="comma-separated cut dates (ISO)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    settings = Settings()
    transactions = cdnow_transactions()
    events = as_events(transactions)
    cuts = [datetime.fromisoformat(c).replace(tzinfo=UTC) for c in args.cuts.split(",")]
    rows = [evaluate_cut(settings, transactions, events, cut) for cut in cuts]
    report = {
        "dataset": "CDNOW sample",
        "events": len(events),
        "horizon_days": settings.horizon_days,
        "cuts": rows,
    }
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    console = Console()
    table = Table(title=f"CDNOW: who buys nothing in the next {settings.horizon_days} days")
    for column in ("cut", "model", "ROC AUC", "avg precision"):
        table.add_column(column)
    for row in rows:
        for name, judged in row["scores"].items():
            table.add_row(
                row["cut"], name, f"{judged['roc_auc']:.3f}", f"{judged['average_precision']:.3f}"
            )
    console.print(table)
    for row in rows:
        console.print(
            f"{row['cut']}: {row['customers']} customers, churn "
            f"{row['churn_rate']:.1%}, engine {row['model_version']}, labels "
            f"{row['labels_seen']}, replay {row['replay_s']} s"
        )
        console.print(
            "  calibration (predicted/observed by decile): "
            + ", ".join(
                f"{c['predicted']:.2f}/{c['observed']:.2f}" for c in row["engine_calibration"]
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
