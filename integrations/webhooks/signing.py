"""Standard Webhooks signatures: `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64>`.

The signature is HMAC-SHA256 over `{id}.{timestamp}.{body}` with the secret's bytes (`whsec_<base64>`).
During a rotation a message is signed with each valid secret, the signatures space-separated, as
the specification allows: a consumer holding either secret verifies it. Pure functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"
# The specification asks for 24 to 64 random bytes.
SECRET_BYTES = 32


def secret_generate() -> str:
    """A new signing secret, `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of id.timestamp.body>` with one secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(*, secrets: Iterable[str], msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret given (the newest first)."""
    signatures = [signature(secret=s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets]
    if not signatures:
        raise ValueError("A webhook needs at least one secret to be signed with.")
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}
