"""Sample order records for the bundled portfolio, written the same every time.

A few days of orders from a daily profile (quiet at night, busy at midday),
customers of Zipf-like popularity, amounts from a log-normal, and a realistic
share of bad rows: about 1.5 % invalid (no customer, a zero, negative or
unreadable amount) and a handful whose creation time cannot be read.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

SAMPLE_RECORDS = Path("data/records/orders.csv")
START = datetime(2026, 3, 2, tzinfo=timezone.utc)
# Orders per hour of the day, UTC: a quiet night and a midday peak.
HOURLY_ORDERS = (
    40, 25, 20, 15, 15, 30, 80, 180, 300, 380, 420, 450,
    470, 460, 430, 400, 380, 360, 330, 280, 220, 160, 100, 60,
)  # fmt: skip
CUSTOMERS = 5000
INVALID_SHARE = 0.015
UNREADABLE_TIMES = 4


def write_sample_records(path: str | Path, days: int = 3, seed: int = 11) -> int:
    """Write the sample orders CSV and return how many rows it holds."""
    rng = np.random.default_rng(seed)
    created = _creation_times(days, rng)
    count = created.size

    weights = np.arange(1, CUSTOMERS + 1, dtype=float) ** -0.9
    customers = rng.choice(CUSTOMERS, count, p=weights / weights.sum())
    amounts = np.round(rng.lognormal(4.0, 0.8, count), 2)

    rows = [
        [
            (START + timedelta(seconds=float(moment))).isoformat(
                sep=" ", timespec="seconds"
            ),
            f"ORD-{index + 1:07d}",
            f"C-{customer + 1:05d}",
            f"{amount:.2f}",
        ]
        for index, (moment, customer, amount) in enumerate(
            zip(created, customers, amounts, strict=True)
        )
    ]
    _spoil(rows, rng)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["created_at", "order_id", "customer_id", "amount"])
    writer.writerows(rows)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(buffer.getvalue(), encoding="utf-8")
    return count


def _creation_times(days: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after START of each order, Poisson within each hour."""
    counts = rng.poisson(np.tile(HOURLY_ORDERS, days))
    hours = np.repeat(np.arange(counts.size), counts)
    return np.sort((hours + rng.random(hours.size)) * 3600.0)


def _spoil(rows: list[list[str]], rng: np.random.Generator) -> None:
    """Make a share of rows invalid and a few unreadable, in place."""
    invalid = rng.choice(len(rows), int(len(rows) * INVALID_SHARE), replace=False)
    for position, index in enumerate(np.sort(invalid)):
        kind = position % 4
        if kind == 0:
            rows[index][2] = ""
        elif kind == 1:
            rows[index][3] = "0.00"
        elif kind == 2:
            rows[index][3] = f"-{rows[index][3]}"
        else:
            rows[index][3] = "n/a"

    for index in rng.choice(len(rows), UNREADABLE_TIMES, replace=False):
        rows[index][0] = "not recorded"
