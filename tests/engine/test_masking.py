"""Stream credentials are masked wherever an address is shown, logged or saved."""

from __future__ import annotations

import pytest

from convlab.engine.masking import mask_credentials, mask_url

SECRET_URLS = [
    # (typed address, what may be shown)
    ("rtsp://admin:s3cret@192.168.1.20:554/stream", "rtsp://***@192.168.1.20:554/stream"),
    ("rtsp://admin:p@ss@cam.local/live", "rtsp://***@cam.local/live"),
    ("rtsp://admin:p@ss/w0rd@cam/stream", "rtsp://***@cam/stream"),
    ("rtsp://admin:a/b@c/d@10.0.0.1/live?x=1", "rtsp://***@10.0.0.1/live?x=1"),
    ("http://admin:my secret@host/video", "http://***@host/video"),
    ("http://user@host/", "http://***@host/"),
    ("http://u:p%40ss@h:8080", "http://***@h:8080"),
    ("rtsp://a:b@[fe80::1]:554/x", "rtsp://***@[fe80::1]:554/x"),
    ("HTTPS://Admin:Pw@Example.org/cam", "HTTPS://***@Example.org/cam"),
    ("http://cam/video.cgi?user=admin&pwd=secret&res=1", "http://cam/video.cgi?user=***&pwd=***&res=1"),
    ("http://cam/mjpg?token=abc123#frag", "http://cam/mjpg?token=***#frag"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "shown"), SECRET_URLS)
def test_typed_addresses_lose_their_secrets(url: str, shown: str) -> None:
    assert mask_url(url) == shown
    assert mask_url(url) != url
    assert mask_url(shown) == shown  # masking twice changes nothing


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/stream.mjpg",
        "rtsp://[::1]:554/live",
        "udp://239.0.0.1:1234",
        "/home/ann/videos/clip.mp4",
        "C:\\Users\\ann\\clip.mp4",
        "",
    ],
)
def test_addresses_without_secrets_are_unchanged(url: str) -> None:
    assert mask_url(url) == url
    assert mask_credentials(url) == url


@pytest.mark.parametrize(("url", "shown"), [(u, s) for u, s in SECRET_URLS if " " not in u])
def test_messages_quoting_an_address_lose_its_secrets(url: str, shown: str) -> None:
    # (in free text an address ends at white space; typed addresses go through mask_url)
    for message in (
        "Stream {}: could not be opened",
        "{}: no picture for 1.2 s",
        "Opening {}…",
        "failed ('{}')",
        "[{}]\nnext line",
    ):
        assert mask_credentials(message.format(url)) == message.format(shown)


def test_several_addresses_and_e_mail_addresses_in_one_message() -> None:
    text = "tried rtsp://u:one@cam1/a and http://v:two@cam2:80/b; mail admin@example.org"
    assert mask_credentials(text) == (
        "tried rtsp://***@cam1/a and http://***@cam2:80/b; mail admin@example.org"
    )


def test_a_path_with_an_at_sign_loses_more_rather_than_risk_a_password() -> None:
    # "host:8080/x@y" cannot be told apart from "user:8080/x@y" (password "8080/x"):
    # the address is shown shorter, the password never
    assert mask_url("http://host:8080/snap@2x.jpg") == "http://***@2x.jpg"


def test_the_log_filter_masks_messages_arguments_and_tracebacks() -> None:
    import io
    import logging

    from convlab.engine.masking import CredentialFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(CredentialFilter())
    logger = logging.getLogger("convlab.test.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("opening %s failed", "rtsp://admin:hunter2@cam/live")
        try:
            raise RuntimeError("cannot reach http://bob:s3cr3t@10.0.0.9:8080/video")
        except RuntimeError:
            logger.exception("reading failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "rtsp://***@cam/live" in text and "http://***@10.0.0.9:8080/video" in text
    assert "hunter2" not in text and "s3cr3t" not in text and "bob" not in text
