"""Client overhead and parallelism against the offline simulator (127.0.0.1 only).

Prints figures and ratios; asserts nothing. Run: python bench/bench_client.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from comet import CometClient  # noqa: E402
from comet.jobs import start_job  # noqa: E402
from comet.simulator import Simulator  # noqa: E402

MODEL = "black-forest-labs/flux-schnell"


def one_run(base_url: str, out: Path, poll: float) -> float:
    started = time.perf_counter()
    with CometClient(api_key="bench-key-0001", base_url=base_url, poll_interval=poll) as client:
        for _ in start_job(client, MODEL, {"prompt": "bench"}, output_dir=out):
            pass
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--time-scale", type=float, default=0.5, help="flux-schnell = 1 s × this")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="comet-bench-"))
    with Simulator(time_scale=args.time_scale, image_size=512) as sim:
        simulated = 1.0 * args.time_scale
        sequential = [one_run(sim.base_url, out, 0.05) for _ in range(args.runs)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.runs) as pool:
            list(pool.map(lambda _: one_run(sim.base_url, out, 0.05), range(args.runs)))
        parallel_wall = time.perf_counter() - started
    median = statistics.median(sequential)
    print(f"simulated model time      {simulated:.3f} s")
    print(f"run → saved image, median {median:.3f} s over {args.runs} sequential runs")
    print(
        f"overhead per run          {median - simulated:.3f} s "
        f"(ratio {median / simulated:.2f}× the model time)"
    )
    print(f"{args.runs} runs sequential      {sum(sequential):.3f} s")
    print(f"{args.runs} runs in parallel     {parallel_wall:.3f} s")
    print(f"parallel speed-up         {sum(sequential) / parallel_wall:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
