"""Small adapters between plain handlers and Gradio's events.

Handlers return `{name: value}` dicts, so that tests read them by name and nobody counts tuple
positions; `by_name` turns the names into components for Gradio. `with_form_signature` gives a
`**fields` handler the explicit keyword signature Gradio needs for the per-model fields.
"""

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import gradio as gr

__all__ = ["by_name", "with_form_signature"]

Components = Mapping[str, gr.components.Component | gr.blocks.BlockContext | Any]


def by_name(fn: Callable[..., Any], components: Components) -> Callable[..., Any]:
    """Wrap a handler returning (or yielding) {name: value} so Gradio gets {component: value}."""

    def convert(result: Any) -> Any:
        if isinstance(result, dict):
            return {components[name]: value for name, value in result.items()}
        return result

    if inspect.isasyncgenfunction(fn) or inspect.isasyncgenfunction(
        getattr(fn, "__wrapped__", None)
    ):

        @functools.wraps(fn)
        async def async_generator(*args: Any, **kwargs: Any) -> Any:
            inner = fn(*args, **kwargs)
            try:
                async for item in inner:
                    yield convert(item)
            finally:
                await inner.aclose()  # Stop: the handler's own finally must run now

        return async_generator

    if inspect.isgeneratorfunction(fn) or inspect.isgeneratorfunction(
        getattr(fn, "__wrapped__", None)
    ):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            inner = fn(*args, **kwargs)
            try:
                for item in inner:
                    yield convert(item)
            finally:
                inner.close()  # Stop closes us; the handler's own finally must run now

        return generator

    @functools.wraps(fn)
    def plain(*args: Any, **kwargs: Any) -> Any:
        return convert(fn(*args, **kwargs))

    return plain


def with_form_signature(fn: Callable[..., Any], names: Iterable[str]) -> Callable[..., Any]:
    """Give a **fields handler an explicit signature: every form field optional (default None).

    Without it Gradio would treat image inputs as required for API callers.
    """
    signature = inspect.signature(fn)
    base = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
    extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in names]
    request_params = [p for p in base if p.name == "request"]
    plain = [p for p in base if p.name != "request"]
    positional = [
        p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in plain + request_params
    ]

    if inspect.isasyncgenfunction(fn):

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            inner = fn(*args, **kwargs)
            try:
                async for item in inner:
                    yield item
            finally:
                await inner.aclose()

    elif inspect.isgeneratorfunction(fn):

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            yield from fn(*args, **kwargs)

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=positional + extra)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    wrapper.__annotations__ = {
        k: v for k, v in getattr(fn, "__annotations__", {}).items() if k != "fields"
    }
    return wrapper
