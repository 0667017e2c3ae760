"""Safe to share: what the app refuses before anything is sent, and each visitor's History kept
their own on a shared app, through the page's handlers. The limiter, visitor identities and the
daily budget themselves are in test_limits.py; the app's own run limit in test_app_limits.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import pytest

from comet.simulator import Simulator
from tests.page_support import FLUX2, KONTEXT, open_page, sent, visitor

OWNER_KEY = "sk-owner-0123456789abcdef"
VISITOR_KEY = "sk-visitor-0123456789abcdef"


@pytest.fixture(scope="module")
def sim():
    with Simulator(time_scale=0.0, image_size=64) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def owner_page(sim, tmp_path_factory):
    """Runs on the owner's key, at most two images each."""
    with open_page(
        tmp_path_factory.mktemp("owner"), owner_key=OWNER_KEY, base_url=sim.base_url,
        max_images_per_run=2, max_runs_per_hour=0, max_concurrent_per_visitor=0,
    ) as page:  # fmt: skip
        yield page


def test_with_require_user_key_a_run_without_a_typed_key_is_refused_and_nothing_sent(sim, tmp_path):
    new = sent(sim)
    with open_page(
        tmp_path / "o", owner_key=OWNER_KEY, base_url=sim.base_url, require_user_key=True
    ) as page:
        refused = page.run()[-1]["status"]
        typed = page.run(typed_key=VISITOR_KEY)[-1]["status"]
    assert "use their own CometAPI key: enter it in the **API key** box" in refused
    assert typed.startswith("**Succeeded")
    assert [c.headers["Authorization"] for c in new()] == [f"Bearer {VISITOR_KEY}"]


def test_images_per_run_over_the_limit_are_refused_before_anything_is_sent(owner_page, sim):
    new = sent(sim)
    refused = owner_page.run(num_outputs=4)[-1]["status"]
    assert refused == "**Limit reached.** This app allows at most 2 images per run."
    assert new() == []
    assert len(owner_page.run(num_outputs=2)[-1]["gallery"]) == 2
    own_key = owner_page.run(num_outputs=4, typed_key=VISITOR_KEY)[-1]  # their own: no limit
    assert len(own_key["gallery"]) == 4


@pytest.mark.parametrize(
    ("model", "content", "said"),
    [
        (KONTEXT, b"not an image at all", '"input_image": the upload is not an image'),
        (FLUX2, b"\x89PNG\r\n\x1a\n" + bytes(10 * 1024 * 1024), '"input_images": the upload is'),
    ],
    ids=["not-an-image", "over-10-MB"],
)
def test_an_unusable_upload_gets_a_message_naming_the_field_and_nothing_is_sent(
    owner_page, sim, tmp_path, model, content, said
):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    new = sent(sim)
    status = owner_page.run(model=model, upload=str(path))[-1]["status"]
    assert status.startswith("**Please check the input.**") and said in status
    assert new() == []


def test_shared_visitors_see_resume_and_open_by_link_only_their_own_runs(sim, tmp_path):
    with open_page(tmp_path / "o", owner_key=OWNER_KEY, base_url=sim.base_url, shared=True) as page:
        alice, bob = visitor("alice", "10.0.0.1"), visitor("bob", "10.0.0.2")
        for request in (alice, bob):
            page.services.bind_visitor(request, None)
        alices = page.run(request=alice)[-1]["run_state"]["id"]
        bobs = page.run(request=bob)[-1]["run_state"]["id"]
        new = sent(sim)
        polls_before = len(sim.received)

        assert page.history.refresh(None, bob)["history_ids"] == [bobs]
        assert page.history.refresh(None, None)["history_ids"] == []  # nobody's: nothing
        refused = list(page.history.resume(alices, None, bob))[-1]["status"]
        assert "That prediction belongs to another visitor." in refused
        assert len(sim.received) == polls_before  # refused before asking the API
        theirs = page.history.open_link(None, visitor("bob", "10.0.0.2", link=alices))
        unknown = page.history.open_link(None, visitor("bob", "10.0.0.2", link="abc123xyz"))
        # refused as an id nobody made is: a link says nothing about who else made what
        assert theirs["detail_head"] == unknown["detail_head"].replace("abc123xyz", alices)
        assert theirs["selected_id"] is None and theirs["detail_input"] == {}
        with pytest.raises(gr.Error, match="Select a prediction first"):
            page.history.download_zip(alices, bob)

        assert page.history.download_zip(alices, alice)["zip_file"]["value"].endswith(".zip")
        mine = list(page.history.resume(alices, None, alice))[-1]["status"]
        assert mine.startswith("**Resumed: succeeded**")
        elsewhere = list(page.history.resume("made0elsewhere", None, alice))[-1]["status"]
        assert "Only predictions made in this app can be resumed here" in elsewhere
        assert new() == []


def test_a_local_app_shares_one_history_between_visitors(sim, tmp_path):
    with open_page(tmp_path / "o", sim) as page:  # shared=False: one person, one history
        made = page.run(request=visitor("alice"))[-1]["run_state"]["id"]
        assert page.history.refresh(None, visitor("bob"))["history_ids"] == [made]
        resumed = list(page.history.resume(made, None, visitor("bob")))[-1]["status"]
    assert resumed.startswith("**Resumed: succeeded**")


def test_an_output_folder_outside_cwd_and_temp_is_shown_through_private_copies(
    sim, tmp_path, monkeypatch
):
    """Like /data on a Space: Gradio would refuse to show it, and must never serve it by path
    (launch_options allows no path): the page gets copies in a private temp folder."""
    (tmp_path / "cwd").mkdir()
    (tmp_path / "tmp").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    with open_page(tmp_path / "data", sim) as page:
        final = page.run()[-1]
        [saved] = page.services.history.get(final["run_state"]["id"]).files
    [shown] = final["gallery"]
    assert Path(saved).parent == (tmp_path / "data").resolve()
    assert Path(shown).is_relative_to(tmp_path / "tmp")
    assert Path(shown).read_bytes() == Path(saved).read_bytes()
