"""Inventory speed: the whole ``take_inventory`` against bare lxml parsing.

Builds a portfolio of at least 10,000 files by replicating the public corpus
(or, without it, the bundled sample apps) into a temporary folder, then times
both over the same files in the same run and prints the ratio.

    python benchmarks/bench_inventory.py [--files 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from lxml import etree

from kit.portfolio import take_inventory

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
    """Parse every file with lxml's default parser and nothing else."""
    parsed = 0
    for path in files:
        try:
            etree.fromstring(path.read_bytes())
            parsed += 1
        except etree.XMLSyntaxError:
            pass
    return parsed


def timed(function, *arguments) -> float:
    start = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        files = build_portfolio(Path(folder), arguments.files)
        bare_parse(files)  # warm the page cache for both contenders
        bare, kit = [], []
        for _ in range(arguments.repeat):
            bare.append(timed(bare_parse, files))
            kit.append(timed(take_inventory, [Path(folder)]))
        inventory = take_inventory([Path(folder)])

    bare_s, kit_s = statistics.median(bare), statistics.median(kit)
    print(f"files: {len(files)}  jobs found: {len(inventory.jobs)}")
    print(f"bare lxml parsing : {bare_s:8.2f} s  ({len(files) / bare_s:,.0f} files/s)")
    print(f"kit inventory     : {kit_s:8.2f} s  ({len(files) / kit_s:,.0f} files/s)")
    print(f"ratio kit / bare  : {kit_s / bare_s:8.2f}x  (aim: within 2x)")


if __name__ == "__main__":
    main()
