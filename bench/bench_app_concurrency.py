"""Do simultaneous /generate calls overlap? The app's limit vs Gradio's default of 1.

Prints wall times and the ratio; asserts nothing. Run: python bench/bench_app_concurrency.py
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gradio_client import Client  # noqa: E402

import app  # noqa: E402
from comet.settings import AppSettings  # noqa: E402
from comet.simulator import Simulator  # noqa: E402

CALLS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(sim: Simulator, concurrency: int) -> float:
    settings = AppSettings(output_dir=Path(tempfile.mkdtemp()), concurrency=concurrency)
    demo = app.build_demo(settings, demo_base_url=sim.base_url)
    port = free_port()
    demo.launch(
        prevent_thread_lock=True,
        server_name="127.0.0.1",
        server_port=port,
        quiet=True,
        **app.launch_options(settings),
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        clients = [Client(url, verbose=False) for _ in range(CALLS)]
        started = time.perf_counter()
        with ThreadPoolExecutor(CALLS) as pool:
            list(
                pool.map(
                    lambda c: c.predict(
                        prompt="bench", model="black-forest-labs/flux-schnell", api_name="/generate"
                    ),
                    clients,
                )
            )
        return time.perf_counter() - started
    finally:
        demo.close()
        demo.history.close()


def main() -> int:
    with Simulator(time_scale=1.5, image_size=256) as sim:
        one = measure(sim, 1)
        many = measure(sim, 16)
    print(f"{CALLS} simultaneous runs, concurrency 1 : {one:.2f} s")
    print(f"{CALLS} simultaneous runs, concurrency 16: {many:.2f} s")
    print(f"speed-up from the app's limit: {one / many:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
