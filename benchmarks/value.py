"""Customer value on real transactions: the engine's clv against what customers spent next.

    python -m benchmarks.value [--replicate K] [--cuts 1997-09-30,...] [--horizon 90] [--json]

For each cut of the CDNOW sample (with ``--replicate K``, K times its customers, fresh ids),
everything before the cut is replayed through the engine in this process (the in-process
driver, byte-identical to a broker run), with ``CHURNWATCH_CLV_YEARS`` set to the length of the
window from the cut to the end of the data; every customer seen before the cut is then scored
at it, and their ``clv`` is judged against what they actually spent in that window. In the same
run, on the same customers:

- ``bg_nbd_gamma_gamma``: lifetimes' BG/NBD and Gamma-Gamma, fitted in batch on every purchase
  before the cut (repeat orders' mean value, as lifetimes does);
- ``last_period``: what the customer spent in the window of the same length before the cut;
- ``run_rate``: average order x orders per day so far x window (one-time buyers at one order a
  year);
- ``rhythm_formula``: the engine's clv before issue 35 (average order x 365 / usual gap x
  years), on the engine's own state.

Then, per group of customers by orders so far (1, 2, 3-5, 6 and more), each predictor's mean
and the actual mean spend (Fader, Hardie and Lee's check by frequency): a value that puts
one-time buyers above repeat buyers, or one whose level drifts with frequency, shows there.

Figures, per predictor: ``spearman``, the rank correlation with actual spend (ties in the
prediction stay ties: a predictor that gives many customers the same value, as last period's
spend gives 0 to everyone who did not buy, gains from the many who spend 0 next);
``spearman_queue``, the same with the prediction's ties broken by a hash of the customer id
(a fixed, arbitrary order), as a queue, which is a total order, breaks them;
``top_decile``, the share of next spend held by the 10% predicted highest; ``total``,
predicted / actual spend; ``total_silent``, the same among customers silent for more than 180
days at the cut.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from rich.console import Console
from rich.table import Table
from scipy.stats import spearmanr

from benchmarks.cdnow import add_cut_options, at_cuts
from benchmarks.cli import parser_of
from benchmarks.replay import event_seconds
from models.features import extract_features
from streams.dev.inprocess import replay_events
from streams.settings import Settings

LONG_SILENT_DAYS = 180
ONE_ORDER_A_YEAR = 1.0 / 365.0
ORDER_GROUPS = ((1, 1), (2, 2), (3, 5), (6, 10**9))


def judge(predicted: pd.Series, actual: pd.Series, silent: pd.Series) -> dict[str, float]:
    """Rank correlations, top-decile capture and totals of ``predicted`` against ``actual``."""
    predicted = predicted.reindex(actual.index).fillna(0.0)
    order = sorted(actual.index, key=lambda c: (-predicted[c], _tie_break(c)))
    queue_rank = pd.Series(np.arange(len(order), 0, -1), index=order).reindex(actual.index)
    top = order[: max(1, round(0.1 * len(order)))]
    return {
        "spearman": round(float(spearmanr(predicted, actual).statistic), 4),
        "spearman_queue": round(float(spearmanr(queue_rank, actual).statistic), 4),
        "top_decile": round(float(actual[top].sum() / actual.sum()), 4),
        "total": round(float(predicted.sum() / actual.sum()), 3),
        "total_silent": round(float(predicted[silent].sum() / actual[silent].sum()), 3),
    }


def _tie_break(customer: str) -> bytes:
    return hashlib.blake2b(customer.encode(), digest_size=8).digest()


def _per_customer_days(history: pd.DataFrame) -> pd.DataFrame:
    return history.groupby(["customer", "date"], as_index=False)["amount"].sum()


def bg_nbd_gamma_gamma(history: pd.DataFrame, cut: pd.Timestamp, days: int) -> pd.Series:
    """lifetimes' BG/NBD x Gamma-Gamma expected spend over ``days`` (daily periods)."""
    visits = _per_customer_days(history)
    grouped = visits.groupby("customer")
    first, last, count = grouped["date"].min(), grouped["date"].max(), grouped.size()
    first_amount = visits.sort_values("date").groupby("customer")["amount"].first()
    frequency = (count - 1).astype(float)
    recency = (last - first).dt.days.astype(float)
    age = (cut - first).dt.days.astype(float)
    repeat_mean = ((grouped["amount"].sum() - first_amount) / frequency.clip(lower=1)).where(
        frequency > 0, 0.0
    )
    purchases = BetaGeoFitter().fit(frequency, recency, age)
    repeaters = (frequency > 0) & (repeat_mean > 0)
    values = GammaGammaFitter().fit(frequency[repeaters], repeat_mean[repeaters])
    expected = purchases.conditional_expected_number_of_purchases_up_to_time(
        days, frequency, recency, age
    )
    return pd.Series(values.conditional_expected_average_profit(frequency, repeat_mean) * expected)


def last_period(history: pd.DataFrame, cut: pd.Timestamp, days: int) -> pd.Series:
    recent = history[history["date"] >= cut - pd.Timedelta(days=days)]
    return recent.groupby("customer")["amount"].sum()


def run_rate(history: pd.DataFrame, cut: pd.Timestamp, days: int) -> pd.Series:
    visits = _per_customer_days(history)
    grouped = visits.groupby("customer")
    count = grouped.size()
    span = (grouped["date"].max() - grouped["date"].min()).dt.days.clip(lower=1)
    rate = ((count - 1) / span).where(count > 1, ONE_ORDER_A_YEAR)
    return grouped["amount"].mean() * rate * days


def evaluate_cut(
    transactions: pd.DataFrame,
    events: list[dict[str, object]],
    cut: datetime,
    end: pd.Timestamp,
    horizon_days: int,
) -> dict[str, Any]:
    at = pd.Timestamp(cut.replace(tzinfo=None))
    days = (end - at).days + 1
    history = transactions[transactions["date"] < at]
    future = transactions[transactions["date"] >= at]
    customers = pd.Index(sorted(history["customer"].unique()))
    actual = future.groupby("customer")["amount"].sum().reindex(customers).fillna(0.0)
    silent = (at - history.groupby("customer")["date"].max()).dt.days.reindex(customers)
    silent = silent > LONG_SILENT_DAYS
    settings = Settings(horizon_days=horizon_days, clv_years=days / 365.0)
    replay = replay_events([e for e in events if event_seconds(e) < cut.timestamp()], settings)
    _, scores = replay.scores(cut.timestamp())
    engine = pd.Series({s.customer_id: s.clv for s in scores})
    years = days / 365.0
    formula = pd.Series(
        {
            s.customer_id: _rhythm_formula(
                extract_features(s, cut.timestamp(), horizon_days), years
            )
            for s in replay.states
        }
    )
    predictors = {
        "engine": engine,
        "bg_nbd_gamma_gamma": bg_nbd_gamma_gamma(history, at, days),
        "last_period": last_period(history, at, days),
        "run_rate": run_rate(history, at, days),
        "rhythm_formula": formula,
    }
    orders = {s.customer_id: s.frequency for s in scores}
    return {
        "cut": cut.date().isoformat(),
        "window_days": days,
        "customers": len(customers),
        "buyers_next": int((actual > 0).sum()),
        "spend_next": round(float(actual.sum()), 2),
        "long_silent": int(silent.sum()),
        "model_version": scores[0].model_version,
        "value_model": (replay.snapshot_as_of(cut.timestamp()) or _none()).value.summary(),
        "scores": {name: judge(p, actual, silent) for name, p in predictors.items()},
        "mean_by_orders": {
            name: {_group_name(g): _mean_of(p, orders, g) for g in ORDER_GROUPS}
            for name, p in {**predictors, "actual": actual}.items()
        },
    }


def _group_name(group: tuple[int, int]) -> str:
    low, high = group
    return str(low) if low == high else f"{low}+" if high > 10**6 else f"{low}-{high}"


def _mean_of(values: pd.Series, orders: dict[str, int], group: tuple[int, int]) -> float:
    """The mean of ``values`` over the customers with ``group`` (from, to) orders so far."""
    chosen = [c for c, n in orders.items() if group[0] <= n <= group[1]]
    return round(float(values.reindex(chosen).fillna(0.0).mean()), 2)


def _none() -> Any:
    from models.snapshot import ModelSnapshot

    return ModelSnapshot(period=0, min_labels=1)


def _rhythm_formula(x: dict[str, float], years: float) -> float:
    """The engine's clv before issue 35: the customer's average order at their own rhythm."""
    return float(np.expm1(x["log_monetary"]) * 365.0 / max(x["interval_days"], 1.0) * years)


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    add_cut_options(parser)
    parser.add_argument("--horizon", type=int, default=90, help="churn horizon H in days")
    args = parser.parse_args(argv)
    transactions, events, cuts = at_cuts(parser, args)
    end = transactions["date"].max()
    rows = [evaluate_cut(transactions, events, cut, end, args.horizon) for cut in cuts]
    report = {"dataset": f"CDNOW sample x{args.replicate}", "events": len(events), "cuts": rows}
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    _print(report)
    return 0


def _print(report: dict[str, Any]) -> None:
    console = Console(width=200)
    for row in report["cuts"]:
        table = Table(
            title=(
                f"{report['dataset']}, cut {row['cut']}: clv against spend in the next "
                f"{row['window_days']} days ({row['customers']:,} customers, "
                f"{row['buyers_next']:,} bought, {row['long_silent']:,} silent > 180 days; "
                f"{row['model_version']})"
            )
        )
        names = list(next(iter(row["scores"].values())))
        table.add_column("predictor")
        for name in names:
            table.add_column(name, justify="right")
        for predictor, figures in row["scores"].items():
            table.add_row(predictor, *(f"{figures[n]:.3f}" for n in names))
        console.print(table)
        by_orders = Table(title="mean by orders so far: predicted, and actual spend")
        groups = list(row["mean_by_orders"]["actual"])
        by_orders.add_column("predictor")
        for group in groups:
            by_orders.add_column(f"{group} orders", justify="right")
        for predictor, means in row["mean_by_orders"].items():
            by_orders.add_row(predictor, *(f"{means[g]:,.2f}" for g in groups))
        console.print(by_orders)


if __name__ == "__main__":
    sys.exit(main())
