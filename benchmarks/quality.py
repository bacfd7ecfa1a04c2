"""Prediction quality on real transactions: the engine online against baselines in batch.

    python -m benchmarks.quality [--replicate K] [--horizons 60,90] [--cuts 1997-09-30,...]
                                 [--json]

The CDNOW sample (``benchmarks.cdnow``; with ``--replicate K``, K times its customers with the
same behaviour) becomes purchase events. For each horizon H and cut date, everything before
the cut is replayed through the real engine, which only knows what it learned from its own
delayed labels; everyone seen before the cut is scored at it and judged on who bought nothing
in (cut, cut + H]. In the same run, on the same customers: the engine's heuristic on the same
state, days since last purchase, a silence rule, BG/NBD and gradient boosting (both fitted in
batch with hindsight; ``benchmarks.baselines``).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import orjson
import pandas as pd
from rich.console import Console
from rich.table import Table
from sklearn.metrics import average_precision_score, roc_auc_score

from benchmarks import baselines
from benchmarks.cdnow import add_cut_options, at_cuts
from benchmarks.cli import parser_of
from benchmarks.replay import churned_after, replay_until
from models.reliability import expected_calibration_error, reliability
from streams.settings import Settings

SATURATED = 0.999


def _judge(truth: dict[str, bool], scores: dict[str, float]) -> dict[str, float]:
    customers = sorted(truth)
    y = [truth[c] for c in customers]
    s = [scores[c] for c in customers]
    return {
        "roc_auc": round(roc_auc_score(y, s), 4),
        "average_precision": round(average_precision_score(y, s), 4),
    }


def _judge_learned(truth: dict[str, bool], risk: dict[str, float]) -> dict[str, float]:
    """ROC AUC, average precision, ECE and the share of risks >= 0.999 of one learned model."""
    return _judge(truth, risk) | {
        "ece": round(expected_calibration_error(calibration(truth, risk)), 4),
        "share_at_risk_0_999": round(sum(r >= SATURATED for r in risk.values()) / len(risk), 4),
    }


def calibration(truth: dict[str, bool], risk: dict[str, float]) -> list[dict[str, float]]:
    """Predicted against observed churn rate in deciles of predicted risk (ties by id)."""
    customers = sorted(truth)
    return reliability([risk[c] for c in customers], [truth[c] for c in customers])


def evaluate_cut(
    settings: Settings, transactions: pd.DataFrame, events: list[dict[str, object]], cut: datetime
) -> dict[str, Any]:
    at = cut.timestamp()
    horizon = settings.horizon_days
    truth = churned_after(events, at, horizon)
    result = replay_until(settings, events, at)
    engine = {s.customer_id: s.risk for s in result.engine}
    deciles = calibration(truth, engine)
    model = result.model or {}
    return {
        "horizon_days": horizon,
        "cut": cut.date().isoformat(),
        "customers": len(truth),
        "covered_by_engine": len(set(truth) & set(engine)),
        "churn_rate": round(sum(truth.values()) / len(truth), 4),
        "model_version": result.engine[0].model_version,
        "serving_why": model.get("why"),
        "drifts": model.get("drifts"),
        "guard": model.get("models"),
        "labels_seen": model.get("labels_seen"),
        "replay_s": result.elapsed_s,
        "scores": {
            "engine": _judge(truth, engine),
            "engine_heuristic": _judge(truth, {s.customer_id: s.risk for s in result.heuristic}),
            "days_since_last_purchase": _judge(
                truth, baselines.days_since_last_purchase(transactions, cut)
            ),
            "silence_rule": _judge(truth, baselines.silence_rule(transactions, cut)),
            "bg_nbd": _judge(truth, baselines.bgnbd(transactions, cut, horizon)),
            "gradient_boosting": _judge(
                truth, baselines.gradient_boosting(transactions, cut, horizon)
            ),
        },
        "learned_models": {
            name: _judge_learned(truth, {s.customer_id: s.risk for s in rows})
            for name, rows in result.learned.items()
        },
        "ece": round(expected_calibration_error(deciles), 4),
        "share_at_risk_0_999": round(sum(r >= SATURATED for r in engine.values()) / len(engine), 4),
        "distinct_risks": len(set(engine.values())),
        "engine_calibration": [
            {**d, "predicted": round(d["predicted"], 3), "observed": round(d["observed"], 3)}
            for d in deciles
        ],
    }


def best_baseline(row: dict[str, Any]) -> tuple[str, float]:
    """The best ROC AUC among BG/NBD, gradient boosting and days since last purchase."""
    names = ("bg_nbd", "gradient_boosting", "days_since_last_purchase")
    name = max(names, key=lambda n: row["scores"][n]["roc_auc"])
    return name, row["scores"][name]["roc_auc"]


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    add_cut_options(parser)
    parser.add_argument("--horizons", default="90", help="comma-separated horizons in days")
    args = parser.parse_args(argv)
    transactions, events, cuts = at_cuts(parser, args)
    rows = [
        evaluate_cut(Settings(horizon_days=int(h)), transactions, events, cut)
        for h in args.horizons.split(",")
        for cut in cuts
    ]
    report = {
        "dataset": f"CDNOW sample x{args.replicate}",
        "events": len(events),
        "cuts": rows,
    }
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
        return 0
    console = Console(width=180)
    table = Table(title=f"{report['dataset']}: ROC AUC of who buys nothing in the next H days")
    names = list(rows[0]["scores"])
    for column in ("H", "cut", *names, "ECE", "risk>=0.999"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["horizon_days"]),
            row["cut"],
            *(f"{row['scores'][n]['roc_auc']:.4f}" for n in names),
            f"{row['ece']:.3f}",
            f"{row['share_at_risk_0_999']:.2%}",
        )
    console.print(table)
    learned = Table(title="every learned model on the same customers: ROC AUC / AP / ECE")
    models = list(rows[0]["learned_models"])
    for column in ("H", "cut", "served", *models):
        learned.add_column(column)
    for row in rows:
        learned.add_row(
            str(row["horizon_days"]),
            row["cut"],
            row["model_version"],
            *(
                "{roc_auc:.4f} / {average_precision:.4f} / {ece:.3f}".format(
                    **row["learned_models"][m]
                )
                for m in models
            ),
        )
    console.print(learned)
    for row in rows:
        best, auc = best_baseline(row)
        console.print(
            f"H={row['horizon_days']} {row['cut']}: {row['customers']} customers, churn "
            f"{row['churn_rate']:.1%}, engine {row['model_version']} "
            f"({row['scores']['engine']['roc_auc'] - auc:+.4f} against {best}), labels "
            f"{row['labels_seen']}, replay {row['replay_s']} s; {row['serving_why']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
