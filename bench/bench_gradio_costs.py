"""Costs inside Gradio that the app designs around: minimal reproductions, figures printed.

Each one is a few lines of plain Gradio (no app code), so it can be reported upstream as it is:

1. A new session builds its own copy of the whole page's config (`SessionState.__init__`
   calls `config_for_block` for every block), so the first event of every visitor or API
   client costs time in proportion to the page's size, not to the event's.
2. An output a handler leaves alone (`gr.skip()`, or a {component: value} return without it)
   is not free: Gradio rebuilds that component from its constructor arguments and its entry in
   the session's config, on every yield.
3. A gr.Progress step is an event-stream message, far cheaper than a yield that re-sends a
   status component.

    python bench/bench_gradio_costs.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from gradio.state_holder import SessionState  # noqa: E402

REPEATS = 30


def _median_ms(work: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def page(components: int) -> gr.Blocks:
    """A page of `components` sliders and one button."""
    with gr.Blocks() as blocks:
        for i in range(components):
            gr.Slider(0, 10, value=i % 10, label=f"field {i}")
        gr.Button("Go")
    return blocks


def session_cost() -> None:
    print("1. A new session copies the whole page's config (SessionState.__init__):")
    for size in (10, 50, 100, 200, 400):
        blocks = page(size)
        print(f"   {size:>3} components: {_median_ms(lambda b=blocks: SessionState(b)):6.2f} ms")


def skip_cost() -> None:
    print("2. An output left alone is rebuilt (Blocks.postprocess_data with gr.skip()):")
    with gr.Blocks() as blocks:
        status = gr.Markdown()
        gallery = gr.Gallery()
        number = gr.Number()
        button = gr.Button()
        button.click(lambda: None, None, [status, gallery, number])
        button.click(lambda: None, None, [status])
    both, alone = list(blocks.fns.values())
    state = SessionState(blocks)
    loop = asyncio.new_event_loop()

    def left_alone() -> None:
        loop.run_until_complete(
            blocks.postprocess_data(both, {status: "waiting…", gallery: gr.skip()}, state)
        )

    def status_only() -> None:
        loop.run_until_complete(blocks.postprocess_data(alone, "waiting…", state))

    skip = _median_ms(left_alone, 200)
    plain = _median_ms(status_only, 200)
    print(f"   status + Gallery and Number left alone: {skip:.3f} ms per yield")
    print(f"   status alone (an event with one output): {plain:.3f} ms per yield")
    print(f"   ratio {skip / plain:.1f}×")
    loop.close()


def main() -> None:
    print(f"gradio {gr.__version__}, {os.cpu_count()} cores, medians")
    session_cost()
    skip_cost()


if __name__ == "__main__":
    main()
