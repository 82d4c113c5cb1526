"""gunicorn settings read at start (gunicorn loads ./gunicorn.conf.py by itself).

The access log masks secrets: Horoshop can only authenticate with `?token=` in the URL, and
gunicorn's default access line would write it down with every webhook.
"""

import os

from gunicorn.glogging import Logger, SafeAtoms

from hub.redaction import configured_secrets, mask_text


class MaskedAtoms(SafeAtoms):
    """gunicorn's access-log atoms, each masked as the format reads it (a line reads a few of many).

    The atoms hold every request header, response header and environ variable; masking all of
    them cost each request more than writing the line. A value is masked as it arrived, then its
    quotes escaped as gunicorn's own atoms escape them (the masking patterns read JSON's quotes).
    """

    def __init__(self, atoms: dict) -> None:
        dict.__init__(self, atoms)  # as they are: SafeAtoms would escape the quotes now

    def __getitem__(self, key: str) -> object:
        value = super().__getitem__(key)
        if not isinstance(value, str):
            return value
        return mask_text(value, configured_secrets()).replace('"', '\\"')


class MaskingLogger(Logger):
    """gunicorn's logger, with secrets masked in every access-log field (request line, query, headers)."""

    atoms_wrapper_class = MaskedAtoms


logger_class = MaskingLogger

# A web worker is replaced after this many requests (with jitter, so they do not all restart at
# once): the soak saw threaded workers' resident memory creep up by a few MiB an hour below Python
# (allocator arenas, SQLite caches) while Python's own objects stayed flat. 0 turns it off.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
