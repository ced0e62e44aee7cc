"""Signed, expiring tokens: the session cookie, sign-in links, album and team links, CSRF.

One format: ``<payload>.<expiry>.<signature>`` in URL-safe characters, where the
signature is HMAC-SHA256 over the purpose, the payload and the expiry with a key derived from
`Settings.callback_secret` and the deployment's public URL (so one secret, kept as
`bot.callback_key` keeps it, signs everything; a button signature can never pass as a cookie,
nor a token of another deployment sharing the secret). A token names what it grants
(`purpose`) and is checked against it; the payload is never trusted beyond what was signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Final

SIG_BYTES: Final = 16


class TokenError(ValueError):
    """A token that is malformed, signed for another purpose, forged or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenSigner:
    """Signs and checks tokens with a key of its own, derived from the app's secret."""

    key: bytes

    @classmethod
    def from_secret(cls, secret: str, audience: str = "") -> TokenSigner:
        """The key for one deployment: `audience` (its public URL) is part of it, so two
        deployments sharing a secret (staging and production) never accept each other's tokens."""
        if not secret:
            msg = "callback_secret must not be empty"
            raise ValueError(msg)
        label = f"headshots-web-v1|{audience}".encode()
        return cls(hmac.new(secret.encode(), label, hashlib.sha256).digest())

    def _sig(self, purpose: str, body: str) -> str:
        mac = hmac.new(self.key, f"{purpose}|{body}".encode(), hashlib.sha256).digest()
        return _b64(mac[:SIG_BYTES])

    def sign(self, purpose: str, payload: str, ttl_s: float, *, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + ttl_s)
        body = f"{_b64(payload.encode())}.{expires}"
        return f"{body}.{self._sig(purpose, body)}"

    def verify(self, purpose: str, token: str, *, now: float | None = None) -> str:
        """The payload signed for `purpose`, or `TokenError`."""
        parts = token.split(".")
        if not token.isascii() or len(parts) != 3 or not parts[1].isdigit():
            msg = "malformed token"
            raise TokenError(msg)
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(parts[2], self._sig(purpose, body)):
            msg = "bad signature"
            raise TokenError(msg)
        if int(parts[1]) < (now if now is not None else time.time()):
            msg = "expired"
            raise TokenError(msg)
        try:
            return _unb64(parts[0]).decode()
        except ValueError as exc:
            msg = "malformed payload"
            raise TokenError(msg) from exc

    def csrf(self, session: str) -> str:
        """The CSRF token of one browser session: every POST must carry it."""
        return self._sig("csrf", session)

    def check_csrf(self, session: str, token: str) -> bool:
        return bool(token) and token.isascii() and hmac.compare_digest(token, self.csrf(session))
