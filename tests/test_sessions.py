"""PerSession: the server's per-page-session memory stays bounded and keyed by session."""

from types import SimpleNamespace

from webui.sessions import PerSession


def page(session: str | None) -> SimpleNamespace:
    return SimpleNamespace(session_hash=session)


def test_each_session_has_its_own_value_and_the_oldest_set_are_forgotten_first():
    values: PerSession[str] = PerSession(limit=2)
    values.put(page("a"), "1")
    values.put(page("b"), "2")
    values.put(page("a"), "3")  # a is now the most recently set
    values.put(page("c"), "4")
    assert values.get(page("a")) == "3"
    assert values.get(page("b"), "gone") == "gone"
    assert values.get(page("c")) == "4"


def test_a_request_without_a_session_is_neither_kept_nor_found():
    values: PerSession[str] = PerSession(limit=2)
    values.put(None, "x")
    values.put(page(None), "y")
    assert values.get(None, "none") == "none" and values.get(page(""), "none") == "none"
