"""The sandbox exists only where it is served: off, the app, its routes and its code are not loaded at all."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

PROBE = """
import json, importlib, pathlib, sys
import django
django.setup()
from django.apps import apps
from django.urls import Resolver404, resolve
for package in ("hub", "integrations", "orders"):
    for path in sorted(pathlib.Path(package).rglob("*.py")):
        name = ".".join(path.with_suffix("").parts).removesuffix(".__init__")
        if "sandbox" not in path.parts and "migrations" not in path.parts and name != "hub.asgi":
            importlib.import_module(name)
try:
    resolve("/sandbox/choco/auth/token")
    routed = True
except Resolver404:
    routed = False
print(json.dumps({
    "installed": apps.is_installed("integrations.sandbox"),
    "routed": routed,
    "loaded": sorted(name for name in sys.modules if name.startswith("integrations.sandbox")),
}))
"""


def _probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DJANGO_", "DEBUG"))}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "hub.settings", "DEBUG": "true", **env},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_the_sandbox_off_no_production_module_loads_it():
    # when
    seen = _probe(HUB_SANDBOX="false")
    # then
    assert seen == {"installed": False, "routed": False, "loaded": []}


def test_with_the_sandbox_on_it_is_installed_and_served():
    # when
    seen = _probe(HUB_SANDBOX="true")
    # then
    assert (seen["installed"], seen["routed"]) == (True, True)
