"""Callback data: short, versioned, and only valid for the user it was made for."""

from __future__ import annotations

import pytest

from conversations.shared.callbacks import MAX_LENGTH, Action, Callback, CallbackError, CallbackSigner


@pytest.fixture
def signer() -> CallbackSigner:
    return CallbackSigner("secret")


def test_round_trip_and_length(signer: CallbackSigner) -> None:
    callback = Callback(Action.PICK_STYLE, 123456789, "real-estate")
    data = signer.sign("telegram", "42", callback)
    assert data.startswith("1.st.123456789.real-estate.")
    assert len(data.encode()) <= MAX_LENGTH
    assert signer.verify("telegram", "42", data) == callback


def test_another_user_or_platform_cannot_use_it(signer: CallbackSigner) -> None:
    data = signer.sign("telegram", "42", Callback(Action.MORE_LIKE, 7, "3"))
    with pytest.raises(CallbackError):
        signer.verify("telegram", "43", data)
    with pytest.raises(CallbackError):
        signer.verify("discord", "42", data)


def test_tampering_and_other_secrets_and_versions_fail(signer: CallbackSigner) -> None:
    data = signer.sign("telegram", "42", Callback(Action.MORE_LIKE, 7, "3"))
    forged = data.replace(".7.3.", ".8.3.")
    for bad in (forged, "2" + data[1:], data[:-1], "garbage", ""):
        with pytest.raises(CallbackError):
            signer.verify("telegram", "42", bad)
    with pytest.raises(CallbackError):
        CallbackSigner("other").verify("telegram", "42", data)


def test_refuses_what_would_not_fit_or_parse(signer: CallbackSigner) -> None:
    with pytest.raises(ValueError, match=r"'\.'"):
        signer.sign("telegram", "1", Callback(Action.PICK_STYLE, 1, "a.b"))
    with pytest.raises(ValueError, match="too long"):
        signer.sign("telegram", "1", Callback(Action.PICK_STYLE, 1, "x" * 60))
    with pytest.raises(ValueError, match="empty"):
        CallbackSigner("")
