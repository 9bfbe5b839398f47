"""Inventory speed: the whole inventory against bare lxml parsing of the same files.

Builds a portfolio of at least 10,000 files by replicating the public corpus
(or, without it, the bundled sample apps) into a temporary folder, then times
both over the same files in the same run, alternating, and prints the medians
and their ratio. The kit's side is the whole inventory as ``kit inventory --db``
runs it: ``take_inventory``, then ``write_inventory`` into a new DuckDB file.

A third contender shows the floor under any walk written in Python: parsing,
then visiting every element once with nothing but a look-up of its tag.

    python benchmarks/bench_inventory.py [--files 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from kit.portfolio import Inventory, take_inventory, write_inventory
from kit.store import open_store

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "mule-public"


def build_portfolio(target: Path, files_wanted: int) -> list[Path]:
    """Copy the corpus (or the sample apps) into ``target`` until it holds enough."""
    source = CORPUS if CORPUS.is_dir() else ROOT / "data" / "apps"
    originals = sorted(source.rglob("*.xml"))
    copies: list[Path] = []
    replica = 0
    while len(copies) < files_wanted:
        for original in originals:
            destination = (
                target / f"replica{replica:04d}" / original.relative_to(source)
            )
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, destination)
            copies.append(destination)
        for properties in source.rglob("*.properties"):
            destination = (
                target / f"replica{replica:04d}" / properties.relative_to(source)
            )
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(properties, destination)
        replica += 1
    return copies


def bare_parse(files: list[Path]) -> int:
    """Read and parse every file with lxml's default parser and nothing else."""
    parsed = 0
    for path in files:
        try:
            etree.fromstring(path.read_bytes())
            parsed += 1
        except etree.XMLSyntaxError:
            pass
    return parsed


def parse_and_visit(files: list[Path]) -> int:
    """Parse every file, then touch each element once: the least a walk can do."""
    seen: dict[object, int] = {}
    for path in files:
        try:
            root = etree.fromstring(path.read_bytes())
        except etree.XMLSyntaxError:
            continue
        for element in root.iter():
            seen[element.tag] = seen.get(element.tag, 0) + 1
    return len(seen)


def whole_inventory(portfolio: Path, database: Path) -> tuple[Inventory, float]:
    """Take the inventory and write its tables into a new DuckDB file.

    Returns the inventory and the seconds spent on the tables alone.
    """
    inventory = take_inventory([portfolio])
    start = time.perf_counter()
    database.unlink(missing_ok=True)
    con = open_store(database)
    write_inventory(con, inventory)
    con.close()
    return inventory, time.perf_counter() - start


def timed(function: Callable[..., object], *arguments: object) -> float:
    """Seconds one call of ``function`` takes."""
    start = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        portfolio = Path(folder) / "portfolio"
        database = Path(folder) / "assessment.duckdb"
        files = build_portfolio(portfolio, arguments.files)
        bare_parse(files)  # warm the page cache for both contenders
        whole_inventory(portfolio, database)  # and the kit's imports and caches
        bare, visit, kit, tables = [], [], [], []
        for _ in range(arguments.repeat):
            bare.append(timed(bare_parse, files))
            visit.append(timed(parse_and_visit, files))
            start = time.perf_counter()
            inventory, tables_s = whole_inventory(portfolio, database)
            kit.append(time.perf_counter() - start)
            tables.append(tables_s)

    bare_s, kit_s = statistics.median(bare), statistics.median(kit)
    visit_s = statistics.median(visit)
    tables_s = statistics.median(tables)
    ratios = sorted(k / b for k, b in zip(kit, bare, strict=True))
    print(f"files: {len(files)}  jobs found: {len(inventory.jobs)}")
    print(f"bare lxml parsing : {bare_s:8.2f} s  ({len(files) / bare_s:,.0f} files/s)")
    print(f"parse + visit     : {visit_s:8.2f} s  (every element once, in Python)")
    print(f"kit inventory     : {kit_s:8.2f} s  ({len(files) / kit_s:,.0f} files/s)")
    print(f"  of which tables : {tables_s:8.2f} s  (write_inventory into DuckDB)")
    print(f"ratio kit / bare  : {kit_s / bare_s:8.2f}x  (aim: within 2x)")
    print(f"ratio per round   : {'  '.join(f'{ratio:.2f}' for ratio in ratios)}")


if __name__ == "__main__":
    main()
