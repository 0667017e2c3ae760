"""How soon does the page answer, and how soon is a finished image on screen? Real Chromium.

Per run, timed in the browser against the wall clock this process shares with it:
  - click → status: Generate clicked to "Submitting…" in the status area (target < 150 ms);
  - completion → image: the simulator's completion of the prediction (sim.completion_time) to
    the result painted in #gallery: an <img> that is not the "Generating…" placeholder, with
    `complete && naturalWidth > 0` (target < 300 ms).
Generations take a fixed 2 s; the app runs with its own defaults (poll interval included) after
a few warm-up runs, as a running app knows the model's duration from its History. Next to it,
the floor Gradio itself sets on this machine: a bare page with the same ids whose generator
yields "Submitting…", waits 2 s ("completion") and yields one image of the same size. Medians
are printed; nothing is asserted. Debian's Chromium through Playwright, all on 127.0.0.1.

    python bench/bench_browser.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1")

MODEL = "black-forest-labs/flux-schnell"
GENERATION = 2.0
TIMEOUT_MS = 30_000

# Installed before each click: stamps (epoch ms) of the click, the first "Submitting…" and the
# first new result image fully loaded, watched by a MutationObserver and img load events.
WATCH_JS = """([placeholder]) => {
    const now = () => performance.timeOrigin + performance.now();
    const results = () => [...document.querySelectorAll("#gallery img")].filter(
        (img) => img.alt !== placeholder);
    const old = new Set(results().map((img) => img.currentSrc || img.src));
    const marks = (window.__marks = {});
    const check = () => {
        const status = document.getElementById("status");
        if (!marks.status && status && status.innerText.includes("Submitting")) {
            marks.status = now();
        }
        const fresh = results().filter((img) => !old.has(img.currentSrc || img.src));
        if (!marks.image && fresh.length && fresh.every((i) => i.complete && i.naturalWidth > 0)) {
            marks.image = now();
        }
        if (marks.status && marks.image) observer.disconnect();
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {
        subtree: true, childList: true, characterData: true, attributes: true});
    document.addEventListener("load", check, true);  // an <img> finished loading
    const button = document.getElementById("generate-button");
    button.addEventListener("click", () => { marks.click = now(); }, { capture: true, once: true });
}"""


def wall_of(monotonic_time: float) -> float:
    """A time.monotonic() reading as epoch seconds (the browser's clock is the wall clock)."""
    return time.time() - (time.monotonic() - monotonic_time)


def bare_page(image: str, completions: list[float]) -> Any:
    """Only Gradio: the app's ids, "Submitting…", 2 s of waiting, then one image."""
    import gradio as gr

    def generate(prompt: str) -> Any:
        yield "Submitting…", None
        started = time.monotonic()
        result = Path(image).with_name(f"bare-{len(completions)}.webp")  # a new URL each run
        shutil.copyfile(image, result)
        for step in (0.5, 1.0, 1.5):
            time.sleep(max(0.0, started + step - time.monotonic()))
            yield f"Generating… {step:.1f} s", gr.skip()
        time.sleep(max(0.0, started + GENERATION - time.monotonic()))
        completions.append(time.monotonic())
        yield "Succeeded", [str(result)]

    with gr.Blocks() as blocks:
        prompt = gr.Textbox(label="Prompt")
        button = gr.Button("Generate", elem_id="generate-button")
        status = gr.Markdown(elem_id="status")
        gallery = gr.Gallery(elem_id="gallery")
        button.click(generate, [prompt], [status, gallery], api_name="generate")
    return blocks


def one_run(page, completed: Callable[[], float]) -> tuple[float, float]:  # noqa: ANN001
    """(click → status ms, completion → image ms) for one Generate."""
    from tests.browser_support import PLACEHOLDER_CAPTION

    page.evaluate(WATCH_JS, [PLACEHOLDER_CAPTION])
    page.get_by_label("Prompt", exact=True).fill(f"a paper boat at {time.time()}")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function(
        "() => window.__marks && window.__marks.status && window.__marks.image",
        timeout=TIMEOUT_MS,
    )
    marks = page.evaluate("window.__marks")
    page.wait_for_function(  # the run is over before the next one starts
        "() => document.getElementById('status').innerText.includes('Succeeded')",
        timeout=TIMEOUT_MS,
    )
    return marks["status"] - marks["click"], marks["image"] - wall_of(completed()) * 1000


def measure(browser, url: str, completed: Callable[[], float], runs: int, warmup: int) -> Any:  # noqa: ANN001
    """Lists of (click → status, completion → image) for runs after warmup, on a fresh page."""
    from tests.browser_support import open_app

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        open_app(page, url)
        page.locator("#generate-button").wait_for(timeout=TIMEOUT_MS)
        measured = [one_run(page, completed) for _ in range(warmup + runs)][warmup:]
    finally:
        page.close()
    return [m[0] for m in measured], [m[1] for m in measured]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs (10)")
    parser.add_argument("--warmup", type=int, default=4, help="untimed runs first (4)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from comet.settings import AppSettings
    from comet.simulator import Simulator, render_image
    from tests.browser_support import launch_chromium
    from tests.support import free_port
    from webui import build_app

    workdir = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    os.environ["GRADIO_TEMP_DIR"] = str(workdir / "gradio")
    durations = {"flux-schnell": (GENERATION, GENERATION)}
    image = workdir / "bare.webp"
    image.write_bytes(render_image(model=MODEL, prompt="bare", seed=1, index=0, size=(512, 512)))
    bare_done: list[float] = []
    results = {}
    with Simulator(durations=durations, rng_seed=1) as sim:
        settings = AppSettings(
            output_dir=workdir / "outputs", max_runs_per_hour=0, max_concurrent_per_visitor=0
        )
        app = build_app(settings, demo_base_url=sim.base_url)
        bare = bare_page(str(image), bare_done)
        app_port, bare_port = free_port(), free_port()
        app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=app_port)
        bare.launch(
            prevent_thread_lock=True,
            server_name="127.0.0.1",
            server_port=bare_port,
            quiet=True,
            ssr_mode=False,
            run_history=False,
        )

        def app_completed() -> float:
            newest = max(sim.predictions.values(), key=lambda p: p.created_mono)
            return sim.completion_time(newest.id)

        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    for name, url, completed in (
                        ("app", f"http://127.0.0.1:{app_port}/", app_completed),
                        ("bare Gradio", f"http://127.0.0.1:{bare_port}/", lambda: bare_done[-1]),
                    ):
                        results[name] = measure(browser, url, completed, args.runs, args.warmup)
                finally:
                    browser.close()
        finally:
            bare.close()
            app.close()
    shutil.rmtree(workdir, ignore_errors=True)

    print(f"{os.cpu_count()} cores · {args.runs} runs each · generations of {GENERATION:.1f} s")
    for label, index, target in (
        ("click → 'Submitting…' shown", 0, 150.0),
        ("completion → image shown", 1, 300.0),
    ):
        for name, values in results.items():
            median = statistics.median(values[index])
            verdict = f"  (target < {target:.0f} ms: {'met' if median < target else 'not met'})"
            print(
                f"{name + ', ' + label:<42} median {median:5.0f} ms  "
                f"min {min(values[index]):5.0f}  max {max(values[index]):5.0f}"
                + (verdict if name == "app" else "")
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
