import os
import shutil
from pathlib import Path

import pytest

from tests.factories import make_user

# live_server runs Django in a thread beside Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright's own browser download cannot run here)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: run `make chromium` (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# --- the editors of the double review tests ---------------------------------------------------------------------


@pytest.fixture
def anna():
    return make_user("anna", role="editor")


@pytest.fixture
def ben():
    return make_user("ben", role="editor")


@pytest.fixture
def cleo():
    return make_user("cleo", role="editor")


@pytest.fixture
def chief():
    return make_user("chief", role="standards")
