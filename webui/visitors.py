"""Who a visitor is, for the per-visitor limits: a way that holds behind a Space's proxy.

The session hash is chosen by the browser, so it alone holds nothing; the network address is
what a visitor cannot choose. Behind a proxy (`trusted_hops` > 0, 1 on a Hugging Face Space)
the address is the entry the trusted proxy appended to `X-Forwarded-For`, counted from the
right: entries further left were written by the visitor and are never believed. A signed-in
Hugging Face user (where the Space enables sign-in) counts as an identity too.

An MCP call reaches the app through Gradio's own client on loopback, one page session shared
by every MCP caller, with the caller's headers copied: its session says nothing about the
caller, so it is not counted; the address is, as for a page, when a trusted proxy wrote it.
Without one (`trusted_hops` 0) the loopback hides the caller's address, so all MCP callers
count as one: the owner's key stays protected, at the cost of callers sharing a limit.
"""

import gradio as gr

__all__ = ["client_address", "is_mcp_call", "visitor_identities"]

MCP_CALLER = "mcp"  # the x-gradio-user header Gradio's MCP server sends with every tool call


def client_address(request: gr.Request | None, *, trusted_hops: int) -> str | None:
    """The visitor's network address as the trusted proxies report it (or the peer's)."""
    if request is None:
        return None
    if trusted_hops > 0:
        header = _header(request, "x-forwarded-for")
        entries = [part.strip() for part in header.split(",") if part.strip()]
        if len(entries) >= trusted_hops:
            return entries[-trusted_hops]
        # Fewer entries than trusted proxies: the request did not come through them.
    client = getattr(request, "client", None)
    return getattr(client, "host", None)


def visitor_identities(request: gr.Request | None, *, trusted_hops: int = 0) -> list[str]:
    """Every key a visitor's runs are counted under: session, address and signed-in user."""
    if request is None:
        return ["api"]
    if is_mcp_call(request):
        if trusted_hops <= 0:
            return ["mcp:untrusted-address"]
        identities = []
    else:
        identities = [f"session:{request.session_hash}"]
    address = client_address(request, trusted_hops=trusted_hops)
    if address:
        identities.append(f"ip:{address}")
    user = getattr(request, "username", None)
    if user:
        identities.append(f"user:{user}")
    return identities


def is_mcp_call(request: gr.Request | None) -> bool:
    """True for a call Gradio's MCP server made on behalf of an MCP client."""
    return request is not None and _header(request, "x-gradio-user") == MCP_CALLER


def _header(request: gr.Request, name: str) -> str:
    headers = getattr(request, "headers", None) or {}
    try:
        return str(headers.get(name) or "")
    except AttributeError:
        return ""
