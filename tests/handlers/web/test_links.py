"""Tokens: signed for one purpose, tamper-proof, expiring; album links in chat albums."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversations.shared.delivery import album_link_hook
from conversations.shared.replies import MediaGroup, Reply, Text
from handlers.web.links import WebLinks
from handlers.web.tokens import TokenError, TokenSigner
from storage.models import Job, User
from tests.handlers.web.conftest import web_settings


def test_a_token_opens_only_what_it_was_signed_for() -> None:
    signer = TokenSigner.from_secret("one-secret")
    token = signer.sign("album", "telegram|42|job1", ttl_s=60, now=1000)
    assert signer.verify("album", token, now=1059) == "telegram|42|job1"
    with pytest.raises(TokenError, match="expired"):
        signer.verify("album", token, now=1061)
    with pytest.raises(TokenError, match="signature"):
        signer.verify("session", token, now=1000)
    with pytest.raises(TokenError, match="signature"):
        TokenSigner.from_secret("another-secret").verify("album", token, now=1000)
    payload, expires, sig = token.split(".")
    with pytest.raises(TokenError):
        signer.verify("album", f"{payload}.{int(expires) + 9999}.{sig}", now=1000)
    assert signer.check_csrf("ada", signer.csrf("ada"))
    assert not signer.check_csrf("bea", signer.csrf("ada"))


def test_chat_albums_carry_their_page_when_the_studio_has_a_public_address(tmp_path: Path) -> None:
    settings = web_settings(tmp_path, public_url="https://studio.example")
    links = WebLinks(settings)
    hook = album_link_hook(links)
    job, user = (
        Job(id="j1", user_id=1, platform="telegram", chat_id="42", style="s"),
        User(platform="telegram", platform_user_id="42"),
    )
    replies: list[Reply] = [Text("ready"), MediaGroup((b"a", b"b")), Text("Want more?")]
    shaped = hook(job, user, 2, list(replies))
    assert shaped[-1] == replies[-1], "the buttons stay last"
    line = shaped[-2]
    assert isinstance(line, Text)
    assert "https://studio.example/a/" in line.text
    grant = links.album_grant(line.text.rsplit("/a/", 1)[1])
    assert grant is not None
    assert (grant.platform, grant.user_id, grant.job_id) == ("telegram", "42", "j1")
    settings.public_url = ""
    assert hook(job, user, 2, list(replies)) == replies, "no address, no link"


def test_a_token_of_one_deployment_does_not_open_another_with_the_same_secret(tmp_path: Path) -> None:
    """Staging and production sharing HEADSHOTS_CALLBACK_SECRET: a cookie or link signed for
    one public address is refused by the other."""
    staging = WebLinks(web_settings(tmp_path, public_url="https://staging.example"))
    production = WebLinks(web_settings(tmp_path, public_url="https://studio.example"))
    cookie = staging.session_cookie("telegram-42")
    assert staging.session_user(cookie) == "telegram-42"
    assert production.session_user(cookie) is None
    link = staging.sign_in("telegram", "42")
    assert link is not None
    assert production.signed_in_as(link.split("t=", 1)[1]) is None
    again = WebLinks(web_settings(tmp_path, public_url="https://studio.example"))
    assert again.session_user(production.session_cookie("telegram-42")) == "telegram-42", "a restart keeps it"
