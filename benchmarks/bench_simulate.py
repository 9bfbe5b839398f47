"""Simulator speed: the kit's streaming kernel against SimPy and Ciw.

Runs the same M/M/c queue (4 consumers at 80 % load) with the same number of
records in the kit, in SimPy and in Ciw in one run, checks each mean wait
against Erlang C, and prints records per second and the ratios. Then times
whole ``kit simulate`` processes (all three modes, written to JSON) at growing
sizes and prints their peak memory, to show it grows linearly.

    python benchmarks/bench_simulate.py [--records 1000000] [--no-ciw]
        [--process-sizes 1000000,10000000]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kit.estimate.erlang import mean_wait
from kit.scenario import scenario_from_dict
from kit.simulate import generate_records, simulate_scenario
from kit.simulate.enrichment import new_enricher
from kit.simulate.streaming import Queue, simulate_streaming

RATE, SERVICE_S, CONSUMERS = 16.0, 0.2, 4


def run_kit(records: int) -> tuple[float, float]:
    """The kit's whole streaming simulation, from drawing the records to the
    figures; return (seconds, mean wait)."""
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": RATE, "count": records},
            "service": {"mean_s": SERVICE_S},
            "streaming": {"consumers": CONSUMERS, "prefetch": 0},
        }
    )
    simulate_scenario(scenario, ("streaming",))  # compile or load the kernel
    start = time.perf_counter()
    simulation = simulate_scenario(scenario, ("streaming",))
    elapsed = time.perf_counter() - start
    return elapsed, simulation.runs["streaming"].figures["wait_s"]["mean"]


def run_kit_kernel(records: int) -> tuple[float, float]:
    """The compiled streaming kernel alone, on records generated beforehand."""
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": RATE, "count": records},
            "service": {"mean_s": SERVICE_S},
            "streaming": {"consumers": CONSUMERS, "prefetch": 0},
        }
    )
    generated = generate_records(scenario)
    queue = Queue(CONSUMERS, 1, False, 1, 120.0, 10, 0.0, math.inf, scenario.seed)
    start = time.perf_counter()
    outcomes = simulate_streaming(
        generated.arrived_s,
        generated.service_s,
        generated.invalid,
        generated.order_key,
        generated.call_keys,
        queue,
        new_enricher(scenario.enrichment, 1),
    )
    elapsed = time.perf_counter() - start
    return elapsed, float(np.mean(outcomes.started_s - generated.arrived_s))


def run_simpy(records: int) -> tuple[float, float]:
    """The same queue as SimPy processes sharing a Resource."""
    import simpy

    rng = random.Random(7)
    environment = simpy.Environment()
    consumers = simpy.Resource(environment, capacity=CONSUMERS)
    waits: list[float] = []

    def record():
        arrived = environment.now
        with consumers.request() as request:
            yield request
            waits.append(environment.now - arrived)
            yield environment.timeout(rng.expovariate(1.0 / SERVICE_S))

    def arrivals():
        for _ in range(records):
            yield environment.timeout(rng.expovariate(RATE))
            environment.process(record())

    start = time.perf_counter()
    environment.process(arrivals())
    environment.run()
    return time.perf_counter() - start, float(np.mean(waits))


def run_ciw(records: int) -> tuple[float, float]:
    """The same queue as a one-node Ciw network."""
    import ciw

    ciw.seed(7)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(RATE)],
        service_distributions=[ciw.dists.Exponential(1.0 / SERVICE_S)],
        number_of_servers=[CONSUMERS],
    )
    simulation = ciw.Simulation(network)
    start = time.perf_counter()
    simulation.simulate_until_max_customers(records, method="Finish")
    elapsed = time.perf_counter() - start
    waits = [row.waiting_time for row in simulation.get_all_records()]
    return elapsed, float(np.mean(waits))


def run_processes(sizes: list[int]) -> None:
    """Time whole ``kit simulate`` processes and read their peak memory."""
    print("\nwhole kit simulate (all modes, JSON out), one process each:")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            scenario = Path(folder) / f"s{size}.toml"
            scenario.write_text(
                f'name = "bench"\n[arrivals]\nrate_per_s = {RATE}\ncount = {size}\n'
                f"[streaming]\nconsumers = {CONSUMERS}\n"
                "[micro_batch]\ninterval_s = 60\nlimit = 2000\nconcurrency = 4\n",
                encoding="utf-8",
            )
            command = [
                sys.executable, "-m", "kit", "simulate", str(scenario),
                "--json", str(Path(folder) / "out.json"),
            ]  # fmt: skip
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            elapsed = time.perf_counter() - start
            peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(
                f"  {size:>11,} records: {elapsed:6.1f} s, peak memory "
                f"{peak_mib:,.0f} MiB ({peak_mib * 2**20 / size:,.0f} bytes/record)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--no-ciw", action="store_true", help="skip Ciw (slowest)")
    parser.add_argument("--process-sizes", default="1000000,10000000")
    arguments = parser.parse_args()
    records = arguments.records
    exact = mean_wait(RATE, 1.0 / SERVICE_S, CONSUMERS)

    contenders = {"kit": run_kit, "kernel": run_kit_kernel, "SimPy": run_simpy}
    if not arguments.no_ciw:
        contenders["Ciw"] = run_ciw
    results = {name: run(records) for name, run in contenders.items()}

    print(f"M/M/{CONSUMERS} at 80 % load, {records:,} records")
    print(f"Erlang C mean wait: {exact:.4f} s")
    for name, (seconds, wait) in results.items():
        error = (wait - exact) / exact
        print(
            f"  {name:<6} {seconds:7.2f} s  {records / seconds:>12,.0f} records/s  "
            f"mean wait {wait:.4f} s ({error:+.1%} from Erlang C)"
        )
    for name, (seconds, _) in results.items():
        if name in ("kit", "kernel"):
            continue
        for ours in ("kit", "kernel"):
            ratio = seconds / results[ours][0]
            print(f"  {ours} against {name}: {ratio:,.0f}x faster")

    sizes = [int(size) for size in arguments.process_sizes.split(",") if size]
    if sizes:
        run_processes(sizes)


if __name__ == "__main__":
    main()
