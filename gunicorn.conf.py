"""gunicorn settings read at start (gunicorn loads ./gunicorn.conf.py by itself).

The access log masks secrets: Horoshop can only authenticate with `?token=` in the URL, and
gunicorn's default access line would write it down with every webhook.
"""

import os

from gunicorn.glogging import Logger

from hub.redaction import configured_secrets, mask_text


class MaskingLogger(Logger):
    """gunicorn's logger, with secrets masked in every access-log field (request line, query, headers)."""

    def atoms(self, resp, req, environ, request_time) -> dict:  # noqa: ANN001 - gunicorn's signature
        atoms = super().atoms(resp, req, environ, request_time)
        secrets = configured_secrets()
        for name, value in list(atoms.items()):
            if isinstance(value, str):
                atoms[name] = mask_text(value, secrets)
        return atoms


logger_class = MaskingLogger

# A web worker is replaced after this many requests (with jitter, so they do not all restart at
# once): the soak saw threaded workers' resident memory creep up by a few MiB an hour below Python
# (allocator arenas, SQLite caches) while Python's own objects stayed flat. 0 turns it off.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
