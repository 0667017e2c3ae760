"""Image URLs typed into the app (webui.uploads.check_image_url): a public https URL or a data:
image URI passes; anything else is one message naming the input. Uploads: tests/test_images.py.
"""

from __future__ import annotations

import pytest

from comet.errors import InvalidInputError
from webui.uploads import check_image_url


def test_an_https_url_or_a_data_image_uri_passes_trimmed():
    assert check_image_url("  https://example.com/a.png\n", field="image") == (
        "https://example.com/a.png"
    )
    assert check_image_url("data:image/png;base64,AAAA", field="image") == (
        "data:image/png;base64,AAAA"
    )
    for url in ("http://example.com/a.png", "https://example.com/a.png"):
        assert check_image_url(url, field="image", allow_http=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/a.png",
        "ftp://example.com/a.png",
        "https:///no-host.png",
        "https://example.com/a b.png",
        "data:text/plain,hello",
        "example.com/a.png",
        "ftp://" + "x" * 200,  # cut short in the message
    ],
)
def test_anything_else_is_refused_naming_the_input(url):
    with pytest.raises(InvalidInputError) as caught:
        check_image_url(url, field="input_image")

    assert caught.value.field == "input_image"
    assert str(caught.value) == f'"input_image": {url[:80]!r} is not a public https:// image URL.'
