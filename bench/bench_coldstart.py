"""How long from `python app.py` to a served page, next to `python -c "import gradio"` alone?

Each start runs in a fresh temporary folder with an environment built from scratch (no
COMET_API_KEY, so demo mode; no .env read; Gradio's telemetry off; GRADIO_SERVER_PORT set),
and ends when GET / answers 200 with the page. Medians of --runs starts each, interleaved.
Figures are printed; nothing is asserted. All on 127.0.0.1.

    python bench/bench_coldstart.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import clean_env, free_port, start_python  # noqa: E402

DEADLINE = 120.0  # a start (or an exit) that takes longer is a failure


def page_served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - 127.0.0.1
            return answer.status == 200 and b"<html" in answer.read(4096).lower()
    except (urllib.error.URLError, OSError):
        return False


def app_start(home: Path) -> float:
    """Seconds from starting `python app.py` until its page is served; the app is stopped."""
    port = free_port()
    env = clean_env(home).updated(GRADIO_SERVER_PORT=str(port))
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    app = start_python(
        [str(ROOT / "app.py")],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not page_served(url):
            if app.poll() is not None:
                raise SystemExit(f"app.py exited with {app.returncode} before serving")
            if time.perf_counter() - started > DEADLINE:
                raise SystemExit(f"app.py served nothing within {DEADLINE:.0f} s")
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def import_gradio(home: Path) -> float:
    """Seconds from starting `python -c "import gradio"` until the import is done.

    The child says so on stdout; its exit (Gradio's clean-up) is not counted, as the app's
    start is not counted past its page.
    """
    started = time.perf_counter()
    child = start_python(
        ["-c", "import gradio; print('imported', flush=True)"],
        cwd=home,
        env=clean_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None  # noqa: S101
        if child.stdout.readline().strip() != "imported":
            raise SystemExit(f"import gradio failed ({child.wait()})")
        return time.perf_counter() - started
    finally:
        child.wait(timeout=DEADLINE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="starts of each (3)")
    args = parser.parse_args(argv)

    starts: list[float] = []
    imports: list[float] = []
    for n in range(args.runs):
        pair = [(import_gradio, imports), (app_start, starts)]
        for measure, into in pair if n % 2 == 0 else reversed(pair):  # neither always first
            home = Path(tempfile.mkdtemp(prefix="bench-coldstart-"))
            try:
                into.append(measure(home))
            finally:
                shutil.rmtree(home, ignore_errors=True)

    def show(label: str, values: list[float]) -> None:
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{label:<36} median {statistics.median(values):5.2f} s  ({runs})")

    print(f"{os.cpu_count()} cores · {args.runs} starts each, each in a fresh temporary folder")
    show('python -c "import gradio"', imports)
    show("python app.py → page served", starts)
    extra = statistics.median(starts) - statistics.median(imports)
    print(f"app.py beyond importing gradio: {extra:+.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
