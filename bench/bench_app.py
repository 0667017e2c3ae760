"""Do simultaneous users queue behind each other? The app next to a bare Gradio app.

Each user is its own gradio_client session calling `/generate`; latency is from submit to the
result. Every generation takes a fixed 2 s on the simulator. The bare app is the floor Gradio
itself sets for the same endpoint: a function with the same outputs (status, seed, prediction
id, four images) that reports progress every 0.5 s for the same 2 s, then returns one image of
the same size and format, launched with the app's concurrency limit and thread budget. The app
runs on Gradio as shipped (no patches). Both are measured in the
same run, interleaved, after a few warm-up runs each (so the app knows the model's duration,
as a running app does from its History).

Three processes share the machine: this one (the users), the simulator (standing in for the
remote API), and the server holding both apps; so the users' own work does not take the
server's interpreter lock. Figures and ratios are printed; nothing is asserted. All on
127.0.0.1.

    python bench/bench_app.py                  # 1, 32 and 100 users (about 4 minutes)
    python bench/bench_app.py --quick          # smoke run: fewer rounds, 8 and 16 users
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1")

MODEL = "black-forest-labs/flux-schnell"
GENERATION = 2.0  # seconds every simulated run takes
STEP = 0.5  # the bare app yields this often (the app's default poll interval)
IMAGE_SIZE = 256  # small: the simulator's drawing is the remote API's work, not the app's
DEMO_KEY = "demo-mode-no-key"
START_DEADLINE = 120.0  # importing gradio on a busy 2-core machine


# -- the simulator process --------------------------------------------------------------------


def serve_simulator(image_size: int) -> None:
    """Run the simulator until stdin closes; print its base URL first."""
    from comet.simulator import Simulator

    durations = {"flux-schnell": (GENERATION, GENERATION)}
    # The images are drawn while each run goes on, as the real service has them when a run
    # completes: drawn on download, 32 drawings (7 ms each) landed on the moment all 32 runs
    # complete, on the cores the app's server needs then.
    with Simulator(image_size=image_size, durations=durations, rng_seed=1, draw_ahead=True) as sim:
        print(json.dumps({"url": sim.base_url, "pid": os.getpid()}), flush=True)
        sys.stdin.read()


# -- the server process -----------------------------------------------------------------------


def bare_app(concurrency: int, image: str) -> Any:
    """Only Gradio: wait GENERATION seconds, reporting progress every STEP, then one image."""
    import gradio as gr

    def generate(prompt: str, model: str, progress=gr.Progress()) -> Any:  # noqa: B008
        started = time.monotonic()
        steps = round(GENERATION / STEP)
        for step in range(1, steps + 1):
            progress((step, steps), desc=f"Waiting… {step * STEP:.1f} s")
            time.sleep(max(0.0, started + step * STEP - time.monotonic()))
        status = f"Succeeded in {time.monotonic() - started:.1f} s"
        return status, 1, "bare", image, None, None, None

    with gr.Blocks() as blocks:
        with gr.Group(visible=False):
            prompt = gr.Textbox(label="prompt")
            model = gr.Textbox(label="model")
            outputs = [gr.Textbox(), gr.Number(precision=0), gr.Textbox()]
            outputs += [gr.Image(type="filepath") for _ in range(4)]
            button = gr.Button()
        button.click(
            generate,
            [prompt, model],
            outputs,
            api_name="generate",
            concurrency_limit=concurrency,
            concurrency_id="generate",
        )
    return blocks


def serve_apps(
    sim_url: str, workdir: Path, poll_interval: float | None, concurrency: int | None
) -> None:
    """Launch the app and the bare app; print their URLs; serve until stdin closes."""
    import gradio as gr  # noqa: F401 - imported before the app, as app.py does

    from comet.settings import AppSettings
    from comet.simulator import render_image
    from tests.support import free_port
    from webui import build_app
    from webui.launch import launch_options

    extra: dict[str, Any] = {} if poll_interval is None else {"poll_interval": poll_interval}
    if concurrency is not None:
        extra["concurrency"] = concurrency
    settings = AppSettings(
        output_dir=workdir / "outputs",
        max_runs_per_hour=0,  # per-visitor limits off: every user here is 127.0.0.1
        max_concurrent_per_visitor=0,
        **extra,
    )
    app = build_app(settings, demo_base_url=sim_url)
    app_port, bare_port = free_port(), free_port()
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=app_port)

    image = workdir / "bare.webp"
    size = (IMAGE_SIZE, IMAGE_SIZE)
    image.write_bytes(render_image(model=MODEL, prompt="bare", seed=1, index=0, size=size))
    options = launch_options(settings)
    bare = bare_app(settings.concurrency, str(image))
    bare.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=bare_port,
        quiet=True,
        ssr_mode=False,
        run_history=False,
        max_threads=options.get("max_threads", 40),
    )
    ready = {
        "app": f"http://127.0.0.1:{app_port}/",
        "bare": f"http://127.0.0.1:{bare_port}/",
        "pid": os.getpid(),
        "concurrency": settings.concurrency,
        "max_threads": options.get("max_threads", 40),
        "poll_interval": settings.poll_interval,
    }
    print(json.dumps(ready), flush=True)
    try:
        sys.stdin.read()
    finally:
        bare.close()
        app.close()


# -- the users (this process) -----------------------------------------------------------------


@dataclass
class Round:
    """One round of simultaneous users on one app."""

    app: str
    users: int
    latencies: list[float] = field(default_factory=list)
    finished_wall: list[float] = field(default_factory=list)  # time.time() at each result
    ids: list[str | None] = field(default_factory=list)  # prediction ids (the app only)
    errors: list[str] = field(default_factory=list)


class Users:
    """gradio_client sessions per app, made before any timing starts."""

    def __init__(self, downloads: Path) -> None:
        self.downloads = downloads
        self.sessions: dict[str, list[Any]] = {}
        # gradio_client opens a new httpx client for every request, and each one builds an SSL
        # context from certifi's bundle (~30 ms of CPU), even for http:// on loopback: at 16
        # users that alone kept this process busy and every latency long. Built once, shared.
        self.tls = ssl.create_default_context()

    def get(self, url: str, count: int) -> list[Any]:
        from gradio_client import Client

        made = self.sessions.setdefault(url, [])
        missing = count - len(made)
        if missing > 0:

            def make(_: int) -> Any:
                return Client(
                    url,
                    verbose=False,
                    download_files=str(self.downloads),
                    analytics_enabled=False,
                    ssl_verify=self.tls,  # type: ignore[arg-type] - httpx takes a context
                )

            with ThreadPoolExecutor(8) as pool:
                made.extend(pool.map(make, range(missing)))
        return made[:count]

    def close(self) -> None:
        for sessions in self.sessions.values():
            for client in sessions:
                client.close()


def run_round(users: Users, name: str, url: str, count: int) -> Round:
    """count users press Generate at once; each one's submit-to-result latency."""
    clients = users.get(url, count)
    result = Round(name, count)
    start = threading.Barrier(count)
    lock = threading.Lock()

    def one(client: Any) -> None:
        start.wait()
        began = time.perf_counter()
        try:
            status, _seed, prediction_id, image, *_ = client.submit(
                prompt="a paper boat", model=MODEL, api_name="/generate"
            ).result(timeout=120)
            elapsed = time.perf_counter() - began
            ended = time.time()
            problem = _problem(status, image)
        except Exception as exc:  # noqa: BLE001 - counted and printed, the round goes on
            elapsed, ended, problem = 0.0, 0.0, f"{type(exc).__name__}: {exc}"
            prediction_id = None
        with lock:
            if problem:
                result.errors.append(problem)
                return
            result.latencies.append(elapsed)
            result.finished_wall.append(ended)
            result.ids.append(prediction_id if name == "app" else None)

    with ThreadPoolExecutor(count) as pool:
        list(pool.map(one, clients))
    return result


def _problem(status: Any, image: Any) -> str | None:
    if not isinstance(status, str) or "Succeeded" not in status:
        return f"status: {str(status)[:120]}"
    if not image:
        return "no image"
    return None


def completion_lags(sim_url: str, round_: Round) -> list[float]:
    """For the app's runs: seconds from the simulator's completed_at to the user's result."""
    lags = []
    for prediction_id, ended in zip(round_.ids, round_.finished_wall, strict=True):
        if not prediction_id:
            continue
        request = urllib.request.Request(  # noqa: S310 - the simulator on 127.0.0.1
            f"{sim_url}/replicate/v1/predictions/{prediction_id}",
            headers={"Authorization": f"Bearer {DEMO_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            body = json.load(answer)
        completed = datetime.fromisoformat(body["completed_at"].replace("Z", "+00:00"))
        lags.append(ended - completed.timestamp())
    return lags


# -- the server's footprint --------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sampled_peak(pid: int, during: Callable[[], Round]) -> tuple[Round, float, int]:
    """Run a round while sampling the server's RSS and threads; the round, peak MB, peak threads."""
    peak = [0.0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_mb(pid))
            peak[1] = max(peak[1], threads_of(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = during()
    finally:
        done.set()
        sampler.join()
    return result, peak[0], int(peak[1])


# -- reporting --------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank on the sorted values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(rounds: list[Round]) -> tuple[list[float], int]:
    latencies = [x for r in rounds for x in r.latencies]
    return latencies, sum(len(r.errors) for r in rounds)


def line(label: str, latencies: list[float], errors: int) -> str:
    if not latencies:
        return f"{label:<28} no results, {errors} errors"
    return (
        f"{label:<28} p50 {percentile(latencies, 50):6.3f} s  p95 {percentile(latencies, 95):6.3f}"
        f" s  max {max(latencies):6.3f} s  ({len(latencies)} runs, {errors} errors)"
    )


# -- main -------------------------------------------------------------------------------------


def start_child(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, dict[str, Any]]:
    """Start this file in another role; its first JSON stdout line says about it."""
    child = subprocess.Popen(  # noqa: S603 - this same file, by its absolute path
        [sys.executable, str(Path(__file__).resolve()), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=env["BENCH_WORKDIR"],
    )
    ready: dict[str, Any] = {}
    finished = threading.Event()

    def read() -> None:
        assert child.stdout is not None  # noqa: S101
        for line in child.stdout:  # Gradio may print first (its MCP server's URL)
            if line.startswith("{"):
                ready.update(json.loads(line))
                break
        finished.set()

    threading.Thread(target=read, daemon=True).start()
    if not finished.wait(START_DEADLINE) or not ready:
        child.kill()
        raise SystemExit(f"{args[0]} did not start")
    return child, ready


def stop_child(child: subprocess.Popen) -> None:
    try:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--serve-simulator", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-apps", metavar="SIM_URL", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=32, help="simultaneous users (32)")
    parser.add_argument("--crowd", type=int, default=100, help="the big crowd (100); 0: skip")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --users per app (3)")
    parser.add_argument("--singles", type=int, default=10, help="one-user runs per app (10)")
    parser.add_argument("--warmup", type=int, default=4, help="untimed runs per app first (4)")
    parser.add_argument("--image-size", type=int, default=IMAGE_SIZE)
    parser.add_argument(
        "--poll-interval", type=float, default=None, help="the app's (default: its own, 0.5 s)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=None, help="runs at once (default: the app's own)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: small and short")
    args = parser.parse_args(argv)

    if args.serve_simulator:
        serve_simulator(args.image_size)
        return 0
    if args.serve_apps:
        workdir = Path(os.environ["BENCH_WORKDIR"])
        serve_apps(args.serve_apps, workdir, args.poll_interval, args.concurrency)
        return 0
    if args.quick:
        args.users, args.crowd, args.rounds, args.singles, args.warmup = 8, 16, 1, 2, 1

    workdir = Path(tempfile.mkdtemp(prefix="bench-app-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMET_")},
        "BENCH_WORKDIR": str(workdir),
        "GRADIO_TEMP_DIR": str(workdir / "gradio"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "PYTHONPATH": str(ROOT),
    }
    children = []
    users = Users(workdir / "downloads")
    try:
        sim, sim_info = start_child(
            ["--serve-simulator", "--image-size", str(args.image_size)], env
        )
        children.append(sim)
        server_args = ["--serve-apps", sim_info["url"]]
        for option in ("poll_interval", "concurrency"):
            if getattr(args, option) is not None:
                server_args += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
        server, info = start_child(server_args, env)
        children.append(server)
        bench = Bench(args, users, sim_info["url"], info)
        bench.run()
        bench.print_all()
    finally:
        users.close()
        for child in reversed(children):
            stop_child(child)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


class Bench:
    """The measured rounds of one run of this benchmark, and what it prints."""

    def __init__(self, args: argparse.Namespace, users: Users, sim_url: str, info: dict) -> None:
        self.args, self.users, self.sim_url, self.info = args, users, sim_url, info
        self.apps = {"bare": info["bare"], "app": info["app"]}
        self.rounds: dict[tuple[str, int], list[Round]] = {}
        self.cpu: dict[tuple[str, int], float] = {}
        self.memory: tuple[float, float, int, int] | None = None

    def run(self) -> None:
        args = self.args
        for name, url in self.apps.items():  # untimed: learn the duration, start the threads
            for _ in range(args.warmup):
                run_round(self.users, name, url, 1)
            run_round(self.users, name, url, args.users)
        for _ in range(args.singles):
            for name in self.apps:
                self.measure(name, 1)
        for _ in range(args.rounds):
            for name in self.apps:
                self.measure(name, args.users)
        if args.crowd:
            for url in self.apps.values():
                self.users.get(url, args.crowd)
            self.measure("bare", args.crowd)
            time.sleep(1.0)
            pid = self.info["pid"]
            idle_mb, idle_threads = rss_mb(pid), threads_of(pid)
            _, peak_mb, peak_threads = sampled_peak(pid, lambda: self.measure("app", args.crowd))
            self.memory = (idle_mb, peak_mb, idle_threads, peak_threads)

    def measure(self, name: str, count: int) -> Round:
        before = cpu_seconds(self.info["pid"])
        result = run_round(self.users, name, self.apps[name], count)
        key = (name, count)
        self.rounds.setdefault(key, []).append(result)
        self.cpu[key] = self.cpu.get(key, 0.0) + cpu_seconds(self.info["pid"]) - before
        return result

    @property
    def counts(self) -> list[int]:
        return [1, self.args.users] + ([self.args.crowd] if self.args.crowd else [])

    def print_all(self) -> None:
        info = self.info
        print(
            f"{os.cpu_count()} cores · generations of {GENERATION:.1f} s · "
            f"images {self.args.image_size} px · app: concurrency {info['concurrency']}, "
            f"max_threads {info['max_threads']}, poll interval {info['poll_interval']} s"
        )
        print("\nsubmit → result, per user (server CPU per run: both apps' process)")
        for count in self.counts:
            for name in self.apps:
                if (name, count) not in self.rounds:  # e.g. --singles 0
                    continue
                latencies, errors = summary(self.rounds[(name, count)])
                runs = max(1, len(latencies) + errors)
                label = f"{name}, {count} user{'s' if count > 1 else ''}"
                cpu = self.cpu[(name, count)] / runs * 1000
                print(f"{line(label, latencies, errors)}  cpu {cpu:.0f} ms/run")
        errors = [e for rounds in self.rounds.values() for r in rounds for e in r.errors]
        for error in sorted(set(errors))[:5]:
            print(f"   error: {error}")
        print()
        for count in self.counts:
            self.print_ratio(count)
        self.print_lags()
        if self.memory is not None:
            idle_mb, peak_mb, idle_threads, peak_threads = self.memory
            per_run = (peak_mb - idle_mb) / self.args.crowd * 1024
            print(
                f"server, {self.args.crowd} app runs at once: RSS {idle_mb:.0f} → {peak_mb:.0f} MB"
                f" ({per_run:.0f} KB per run), threads {idle_threads} → {peak_threads}"
            )

    def print_ratio(self, count: int) -> None:
        bare, _ = summary(self.rounds.get(("bare", count), []))
        app, _ = summary(self.rounds.get(("app", count), []))
        if not (bare and app):
            return
        p95 = percentile(app, 95) / percentile(bare, 95)
        p50 = percentile(app, 50) / percentile(bare, 50)
        gap = (percentile(app, 50) - percentile(bare, 50)) * 1000
        if count == 1:
            target = f"target app − bare ≤ 100 ms: {'met' if gap <= 100 else 'not met'}"
        elif count == self.args.users:
            target = f"target p95 ≤ 1.2×: {'met' if p95 <= 1.2 else 'not met'}"
        else:
            target = ""
        cpu = self.cpu_per_run("app", count) / max(1e-9, self.cpu_per_run("bare", count))
        if count == self.args.users:
            target += f"; cpu/run {cpu:.2f}× (target ≤ 1.5×: {'met' if cpu <= 1.5 else 'not met'})"
        print(
            f"{count:>3} user(s): app/bare p95 {p95:.3f}×, p50 {p50:.3f}× "
            f"(app − bare p50 {gap:+.0f} ms)  {target}"
        )

    def cpu_per_run(self, name: str, count: int) -> float:
        latencies, errors = summary(self.rounds.get((name, count), []))
        return self.cpu.get((name, count), 0.0) / max(1, len(latencies) + errors)

    def print_lags(self) -> None:
        by_count = {
            count: [lag for r in self.rounds.get(("app", count), []) for lag in self.lags(r)]
            for count in self.counts
        }
        parts = [
            f"{count}: p50 {percentile(v, 50) * 1000:.0f} / p95 {percentile(v, 95) * 1000:.0f} ms"
            for count, v in by_count.items()
            if v
        ]
        if parts:
            print("app, simulator's completed_at → user's result (poll lag, saving, delivery):")
            print("   " + ", ".join(parts))

    def lags(self, round_: Round) -> list[float]:
        return completion_lags(self.sim_url, round_)


if __name__ == "__main__":
    raise SystemExit(main())
