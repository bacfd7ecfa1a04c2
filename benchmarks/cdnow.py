"""The CDNOW sample as purchase events, and as a larger population with the same behaviour.

    python -m benchmarks.cdnow --replicate 10 --out cdnow-x10.jsonl

CDNOW sample: 2,357 customers of an online CD store, 1997-1998, shipped inside the
``lifetimes`` package. ``replicate(K)`` repeats every customer K times under fresh ids, each
purchase day moved by up to ±3 days (seeded): K times the customers, the same behaviour.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import lifetimes
import numpy as np
import orjson
import pandas as pd

from benchmarks.cli import parser_of

JITTER_DAYS = 3
# the cuts every CDNOW benchmark judges at: three quarters into the sample, a half, a year
DEFAULT_CUTS = ("1997-09-30", "1997-12-31", "1998-03-31")


def cdnow_transactions() -> pd.DataFrame:
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    frame = pd.read_csv(
        path, sep=r"\s+", header=None, names=["customer", "index", "date", "quantity", "amount"]
    )
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    frame["customer"] = frame["customer"].map(lambda c: f"{c:05d}")
    return frame[["customer", "date", "quantity", "amount"]]


def replicate(transactions: pd.DataFrame, copies: int, seed: int = 7) -> pd.DataFrame:
    """``copies`` copies of every customer (the first unchanged), the others jittered.

    Each copy's customer gets a fresh id and each of its purchases moves by a whole number of
    days in [-3, 3], clipped to the sample's own date range so no copy buys outside it.
    """
    if copies <= 1:
        return transactions.copy()
    rnd = np.random.default_rng(seed)
    first, last = transactions["date"].min(), transactions["date"].max()
    frames = [transactions]
    for copy in range(1, copies):
        shifted = transactions.copy()
        shifted["customer"] = shifted["customer"] + f"-r{copy}"
        jitter = rnd.integers(-JITTER_DAYS, JITTER_DAYS + 1, size=len(shifted))
        shifted["date"] = (shifted["date"] + pd.to_timedelta(jitter, unit="D")).clip(first, last)
        frames.append(shifted)
    return pd.concat(frames, ignore_index=True)


def as_events(transactions: pd.DataFrame) -> list[dict[str, object]]:
    """Each transaction as a purchase event at noon UTC of its day, in event-time order."""
    events = []
    for index, row in enumerate(transactions.itertuples()):
        day = row.date.strftime("%Y-%m-%d")
        events.append(
            {
                "type": "purchase",
                "event_id": f"cdnow-{index}",
                "customer_id": row.customer,
                "timestamp": f"{day}T12:00:00Z",
                "amount": float(row.amount),
                "quantity": max(int(row.quantity), 1),
            }
        )
    return sorted(events, key=lambda e: (str(e["timestamp"]), str(e["event_id"])))


def add_cut_options(parser: argparse.ArgumentParser) -> None:
    """The options of a benchmark judging the CDNOW sample at cuts: cuts, copies, seed, JSON."""
    parser.add_argument(
        "--cuts", default=",".join(DEFAULT_CUTS), help="comma-separated cut dates (ISO)"
    )
    parser.add_argument(
        "--replicate", type=int, default=1, help="copies of every customer (fresh ids)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the replicas' day jitter")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def at_cuts(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[pd.DataFrame, list[dict[str, object]], list[datetime]]:
    """The transactions (replicated), their events and the cuts those options ask for."""
    if args.replicate < 1:
        parser.error("--replicate must be at least 1")
    transactions = replicate(cdnow_transactions(), args.replicate, args.seed)
    cuts = [datetime.fromisoformat(c).replace(tzinfo=UTC) for c in args.cuts.split(",")]
    return transactions, as_events(transactions), cuts


def main(argv: list[str] | None = None) -> int:
    parser = parser_of(__doc__)
    parser.add_argument("--replicate", type=int, default=1, help="copies of every customer")
    parser.add_argument("--seed", type=int, default=7, help="seed of the day jitter")
    parser.add_argument("--out", required=True, help="JSONL file to write")
    args = parser.parse_args(argv)
    if args.replicate < 1:
        parser.error("--replicate must be at least 1")
    events = as_events(replicate(cdnow_transactions(), args.replicate, args.seed))
    Path(args.out).write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    print(f"wrote {len(events)} purchases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
