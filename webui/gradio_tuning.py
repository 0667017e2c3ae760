"""Four narrow workarounds for costs inside Gradio 6.31 that every run of the app pays.

1. API schemas computed once per class. Every yield of a run that leaves the gallery as it is
   (a status-only update, i.e. `gr.skip()`) makes Gradio build a fresh Gallery for the
   session's config, and the fresh instance computes its API schema again with pydantic
   (`Component.api_info` caches it per instance only). At 32 simultaneous users that was about
   20 % of the server's CPU (py-spy, bench/README.md). The schema depends only on the
   component's data model, so one computation per class and data model serves every instance.
2. Trivial value conversions run in place. Gradio hands every input's `preprocess` and every
   output's `postprocess` to a worker thread, one after the other, each hop a round trip
   through the event loop. Generate has 97 inputs (every model's fields), so one click cost
   about 100 hops: 12 ms of the event loop's time alone, and with 32 users clicking at once
   each one's inputs waited behind everyone else's hops (≈ 0.3 s before the run could start,
   bench/README.md). For the plain value components below the conversion is a few lines of
   pure Python (a type cast, a range or choice check), so it runs where it is called, and so
   does a File input's conversion of no file at all (it returns None); files themselves,
   images and galleries, and every function of the app itself, still go to a thread.
3. Outputs a yield leaves alone cost nothing. A handler returning {component: value} for some
   of its outputs leaves the others as they are (`gr.skip()`), and for each of those Gradio
   built a brand-new component from the original's arguments (and its session config entry)
   only to send `{"__type__": "update"}`: a Gallery and a Number on every status line of a
   run (≈ 8 % of the server's CPU at 32 users, py-spy). Such outputs now get that same answer
   directly; the outputs the yield does change go through Gradio unchanged.
4. A file is resolved once against the blocked paths. Before Gradio caches a file it shows,
   and before it serves one, it checks the file against each blocked path by resolving both
   paths afresh (a realpath walk, one lstat per folder): the app blocks the history database
   and its three side files, so eight walks per file, ≈ 0.37 ms each time, seven times per
   run (yappi: a third of the app's CPU over the bare Gradio app at 32 users). The same test
   (lowercased, resolved, equal or inside) now resolves the file once and each blocked path
   once per process; they are the app's own files, set at launch. Allowed and created paths
   are checked by Gradio as before.
"""

from __future__ import annotations

import copy
import os
import threading
import types
from collections.abc import Callable
from typing import Any

import anyio
import gradio as gr
import gradio.blocks
import gradio.utils
from gradio.blocks import Block, BlockFunction, Blocks
from gradio.components.base import Component

__all__ = [
    "INLINE_CONVERSIONS",
    "check_blocked_paths_once",
    "is_plain_conversion",
    "plain_conversion",
    "run_plain_conversions_inline",
    "share_api_schemas",
    "skip_untouched_outputs",
]

_SCHEMAS: dict[tuple[type, Any], dict[str, Any]] = {}
_LOCK = threading.Lock()
_ORIGINAL = Component.api_info

# Components whose preprocess/postprocess only cast or check a value (no files, no I/O).
INLINE_CONVERSIONS: frozenset[type] = frozenset(
    {
        gr.Checkbox,
        gr.Code,
        gr.Dropdown,
        gr.Markdown,
        gr.Number,
        gr.Radio,
        gr.Slider,
        gr.State,
        gr.Textbox,
    }
)
_CONVERSIONS = frozenset({"preprocess", "postprocess"})


def _shared_api_info(self: Component) -> dict[str, Any]:
    key = (type(self), getattr(self, "data_model", None))
    if key[1] is None:  # nothing class-wide to share: Gradio's own path
        return _ORIGINAL(self)
    schema = _SCHEMAS.get(key)
    if schema is None:
        schema = _ORIGINAL(self)
        with _LOCK:
            schema = _SCHEMAS.setdefault(key, schema)
    return schema


def share_api_schemas() -> None:
    """Compute each component class's API schema once per process (idempotent)."""
    Component.api_info = _shared_api_info  # type: ignore[method-assign]


def plain_conversion(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a replacement preprocess/postprocess as pure and quick: it may run in place."""
    func.plain_conversion = True  # type: ignore[attr-defined]
    return func


def is_plain_conversion(func: Callable[..., Any]) -> bool:
    """True for a component's own conversion in INLINE_CONVERSIONS, or one marked as plain."""
    if getattr(func, "plain_conversion", False):
        return True
    owner = getattr(func, "__self__", None)
    return type(owner) in INLINE_CONVERSIONS and getattr(func, "__name__", "") in _CONVERSIONS


def _runs_in_place(func: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    if is_plain_conversion(func):
        return True
    no_file = len(args) == 1 and args[0] is None
    owner = getattr(func, "__self__", None)
    return no_file and type(owner) is gr.File and getattr(func, "__name__", "") == "preprocess"


class _ToThread:
    """anyio.to_thread as gradio.blocks sees it: plain conversions run in place."""

    def __init__(self, real: Any) -> None:
        self._real = real

    async def run_sync(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not kwargs.keys() - {"limiter"} and _runs_in_place(func, args):
            return func(*args)
        return await self._real.run_sync(func, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _AnyioForBlocks(types.ModuleType):
    """The anyio module with its to_thread replaced; everything else is anyio's own."""

    def __init__(self) -> None:
        super().__init__("anyio")
        self.to_thread = _ToThread(anyio.to_thread)

    def __getattr__(self, name: str) -> Any:
        return getattr(anyio, name)


def run_plain_conversions_inline() -> None:
    """Let gradio.blocks run INLINE_CONVERSIONS' value conversions in place (idempotent)."""
    if not isinstance(gradio.blocks.anyio, _AnyioForBlocks):
        gradio.blocks.anyio = _AnyioForBlocks()  # type: ignore[attr-defined]


# -- 3. outputs a yield leaves alone ------------------------------------------------------------

_ORIGINAL_POSTPROCESS = Blocks.postprocess_data
_LEFT_ALONE = {"__type__": "update"}  # what Gradio sends for gr.skip()


def _is_skip(value: Any) -> bool:
    return isinstance(value, dict) and value == _LEFT_ALONE


def touched_outputs(block_fn: BlockFunction, predictions: Any) -> list[tuple[Block, Any]] | None:
    """The (output, value) pairs a {component: value} return changes, in output order.

    None when there is nothing to save (every output changed, fewer than two changed, or a
    return Gradio handles otherwise): Gradio's own path then runs as it is.
    """
    if not isinstance(predictions, dict) or not predictions:
        return None
    if block_fn.batch or block_fn.is_validator_function:
        return None
    position = {block._id: i for i, block in enumerate(block_fn.outputs)}
    touched = []
    for key, value in predictions.items():
        if not isinstance(key, Block) or key._id not in position:
            return None  # Gradio's own checks and messages
        if not _is_skip(value):
            touched.append((position[key._id], key._id, value))
    if len(touched) < 2 or len(touched) == len(block_fn.outputs):
        return None
    outputs = block_fn.outputs
    return [(outputs[i], value) for i, _, value in sorted(touched, key=lambda t: t[0])]


async def _postprocess_touched_only(
    self: Blocks, block_fn: BlockFunction, predictions: Any, state: Any
) -> list[Any]:
    touched = touched_outputs(block_fn, predictions)
    if touched is None:
        return await _ORIGINAL_POSTPROCESS(self, block_fn, predictions, state)
    narrow = copy.copy(block_fn)
    narrow.outputs = [block for block, _ in touched]
    values = await _ORIGINAL_POSTPROCESS(self, narrow, dict(touched), state)
    answers = {block._id: value for (block, _), value in zip(touched, values, strict=True)}
    return [
        answers[block._id] if block._id in answers else (None if block.stateful else _LEFT_ALONE)
        for block in block_fn.outputs
    ]


def skip_untouched_outputs() -> None:
    """Answer the outputs a {component: value} return leaves alone directly (idempotent)."""
    Blocks.postprocess_data = _postprocess_touched_only  # type: ignore[method-assign]


_ORIGINAL_IS_ALLOWED_FILE = gradio.utils.is_allowed_file
_BLOCKED_RESOLVED: dict[str, str] = {}


def _resolved(path: str) -> str:
    """A path as gradio.utils.is_in_or_equal compares it: made absolute, then resolved."""
    return str(gradio.utils.abspath(path).resolve())


def _blocked_target(blocked: str) -> str:
    target = _BLOCKED_RESOLVED.get(blocked)
    if target is None:
        target = _BLOCKED_RESOLVED.setdefault(blocked, _resolved(blocked))
    return target


def _is_allowed_file(
    path: Any,
    blocked_paths: Any,
    allowed_paths: Any,
    created_paths: Any,
) -> tuple[bool, str]:
    """gradio.utils.is_allowed_file, with the file resolved once for all blocked paths."""
    if blocked_paths:
        resolved = _resolved(str(path).lower())  # lowercased first, as Gradio does
        for blocked in blocked_paths:
            target = _blocked_target(str(blocked).lower())
            if resolved == target or resolved.startswith(target.rstrip(os.sep) + os.sep):
                return False, "in_blocklist"
    return _ORIGINAL_IS_ALLOWED_FILE(
        path, blocked_paths=(), allowed_paths=allowed_paths, created_paths=created_paths
    )


def check_blocked_paths_once() -> None:
    """Check files against blocked paths with one resolution of each (idempotent)."""
    gradio.utils.is_allowed_file = _is_allowed_file
