"""How soon each client sees a prediction finish, and how many requests it spends: CometClient
against replicate-python 1.0.7, side by side on the offline simulator (127.0.0.1 only).

For each profile of jittered durations, each client gets its own simulator, seeded alike, so
both see the same durations in the same order; their runs are interleaved and run a few at a
time in threads, in one process, so both share the same load. A run's lag is the time from
its simulator's completion of the prediction (`sim.completion_time`) to the moment `run()`
returned; requests per prediction are counted from `sim.received`. Prints figures and
ratios; asserts nothing.

Then, per profile, the lying clock: CometClient against an honest simulator and against one
whose timestamps claim 0.05 s of work (`Simulator(claimed_seconds=0.05)`) while runs take
their usual time, seeded alike, interleaved in one pool; it prints the polls per prediction
of each and their ratio (replicate-python reads no timestamps, so it is not in this part).

    pip install -r bench/requirements.txt
    python bench/bench_client.py            # 100 runs per client per profile, cold start
    python bench/bench_client.py --seeded   # CometClient first seeded as the app seeds it
    python bench/bench_client.py --quick    # a short smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import replicate  # noqa: E402

from comet import CometClient  # noqa: E402
from comet.simulator import Simulator  # noqa: E402

KEY = "bench-key-0001"
OURS, THEIRS = "CometClient", "replicate 1.0.7"
HONEST, LYING = "honest clock", "lying clock"
LYING_CLAIM = 0.05  # seconds of work the lying clock's timestamps claim


@dataclass(frozen=True)
class Profile:
    name: str
    model: str
    seconds: tuple[float, float]


PROFILES = (
    Profile("schnell-like 1-3 s", "black-forest-labs/flux-schnell", (1.0, 3.0)),
    Profile("pro-like 6-12 s", "black-forest-labs/flux-1.1-pro", (6.0, 12.0)),
)


@dataclass
class Result:
    client: str
    prediction_id: str
    lag: float  # seconds from the simulator's completion to run() returning


def run_ours(client: CometClient, sim: Simulator, model: str) -> Result:
    prediction = client.run(model, {"prompt": "bench"})
    seen = time.monotonic()
    return Result(OURS, prediction.id, seen - sim.completion_time(prediction.id))


def run_theirs(client: replicate.Client, sim: Simulator, model: str) -> Result:
    # wait=False: no Prefer: wait header, so it polls every poll_interval like a plain client.
    output = client.run(model, input={"prompt": "bench"}, wait=False, use_file_output=False)
    seen = time.monotonic()
    url = output[0] if isinstance(output, list) else output
    prediction_id = url.split("/delivery/")[1].split("/")[0]  # .../delivery/<id>/out-0.webp
    return Result(THEIRS, prediction_id, seen - sim.completion_time(prediction_id))


def api_requests(sim: Simulator) -> int:
    """The create and poll requests a simulator received."""
    return sum(1 for request in sim.received if "/predictions" in request.path)


def polls_sent(sim: Simulator) -> int:
    """The poll requests a simulator received."""
    return sum(1 for r in sim.received if r.method == "GET" and "/predictions/" in r.path)


def bench_profile(profile: Profile, args: argparse.Namespace) -> None:
    with contextlib.ExitStack() as stack:
        sims = {
            name: stack.enter_context(
                Simulator(
                    time_scale=args.time_scale,
                    image_size=16,
                    durations={profile.model: profile.seconds},
                    rng_seed=args.seed,  # the same seed: the same durations for both clients
                )
            )
            for name in (OURS, THEIRS)
        }
        ours = stack.enter_context(CometClient(api_key=KEY, base_url=sims[OURS].base_url))
        if args.seeded:  # as the app seeds it from its history: 20 earlier runs of this profile
            earlier = random.Random(args.seed + 1000)  # noqa: S311 - simulated timings
            ours.durations.seed(
                profile.model,
                [earlier.uniform(*profile.seconds) * args.time_scale for _ in range(20)],
            )
        theirs = replicate.Client(api_token=KEY, base_url=f"{sims[THEIRS].base_url}/replicate")
        theirs.poll_interval = 0.5  # its default, whatever REPLICATE_POLL_INTERVAL says
        jobs = []
        for _ in range(args.runs):  # interleaved, so both see the same load
            jobs.append(lambda: run_ours(ours, sims[OURS], profile.model))
            jobs.append(lambda: run_theirs(theirs, sims[THEIRS], profile.model))
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(lambda job: job(), jobs))
        wall = time.monotonic() - started
        per_prediction = {name: api_requests(sim) / args.runs for name, sim in sims.items()}
        theirs._client.close()  # replicate 1.0.7 has no public close()
    low, high = (s * args.time_scale for s in profile.seconds)
    print(f"\n{profile.name}: {profile.model}, {low:g}-{high:g} s")
    start = "seeded with 20 earlier durations" if args.seeded else "cold start (learns as it goes)"
    print(f"  {args.runs} runs per client, {args.concurrency} at a time, {wall:.0f} s wall")
    print(f"  CometClient: {start}")
    print(f"  {'client':<16} {'mean lag':>9} {'median':>9} {'max':>9} {'requests/prediction':>20}")
    figures = {}
    for name in (OURS, THEIRS):
        lags = [r.lag for r in results if r.client == name]
        figures[name] = (statistics.mean(lags), statistics.median(lags), per_prediction[name])
        print(
            f"  {name:<16} {statistics.mean(lags) * 1000:7.0f} ms "
            f"{statistics.median(lags) * 1000:6.0f} ms {max(lags) * 1000:6.0f} ms "
            f"{per_prediction[name]:20.2f}"
        )
    (mean_o, median_o, req_o), (mean_t, median_t, req_t) = figures[OURS], figures[THEIRS]
    print(
        f"  ours/replicate: mean lag {mean_o / mean_t:.2f}×, median lag "
        f"{median_o / median_t:.2f}×, requests {req_o / req_t:.2f}×"
    )


def bench_lying_clock(profile: Profile, args: argparse.Namespace) -> None:
    """CometClient against an honest server and one whose timestamps claim 0.05 s of work."""
    with contextlib.ExitStack() as stack:
        sims = {
            name: stack.enter_context(
                Simulator(
                    time_scale=args.time_scale,
                    image_size=16,
                    durations={profile.model: profile.seconds},
                    rng_seed=args.seed,
                    claimed_seconds=LYING_CLAIM if name == LYING else None,
                )
            )
            for name in (HONEST, LYING)
        }
        clients = {
            name: stack.enter_context(CometClient(api_key=KEY, base_url=sim.base_url))
            for name, sim in sims.items()
        }
        if args.seeded:  # each seeded from its own server's history: the liar's holds its claims
            earlier = random.Random(args.seed + 1000)  # noqa: S311 - simulated timings
            history = [earlier.uniform(*profile.seconds) * args.time_scale for _ in range(20)]
            clients[HONEST].durations.seed(profile.model, history)
            clients[LYING].durations.seed(profile.model, [LYING_CLAIM] * 20)
        jobs = []
        for _ in range(args.runs):
            for name in (HONEST, LYING):
                jobs.append(lambda n=name: run_ours(clients[n], sims[n], profile.model))
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            lags = [result.lag for result in pool.map(lambda job: job(), jobs)]
    per_run = {name: polls_sent(sim) / args.runs for name, sim in sims.items()}
    print(f"  lying clock (timestamps claim {LYING_CLAIM:g} s), CometClient, same runs:")
    for index, name in enumerate((HONEST, LYING)):
        mean = statistics.mean(lags[index::2])
        print(
            f"    {name:<13} {per_run[name]:6.2f} polls/prediction, mean lag {mean * 1000:4.0f} ms"
        )
    print(f"    lying/honest: polls {per_run[LYING] / per_run[HONEST]:.2f}×")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per client per profile")
    parser.add_argument("--concurrency", type=int, default=12, help="runs at a time (threads)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiplies durations")
    parser.add_argument("--seed", type=int, default=1, help="the simulator's duration draws")
    parser.add_argument("--seeded", action="store_true", help="seed CometClient's durations")
    parser.add_argument("--only", default="", help="profiles whose name contains this")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 6 runs each")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.concurrency = 6, 4
    os.environ.pop("REPLICATE_API_TOKEN", None)  # only the bench key, only to 127.0.0.1
    print(f"{os.cpu_count()} cores; replicate {importlib.metadata.version('replicate')}")
    for profile in PROFILES:
        if args.only in profile.name:
            bench_profile(profile, args)
            bench_lying_clock(profile, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
