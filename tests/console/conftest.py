"""Console fixtures: an institution with people who can sign in, a signed-in test client,
and for browser journeys a served app and Debian's Chromium."""

from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IS_CI

PASSWORD = "console-pass-1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


@dataclass
class People:
    org: object
    team: object
    admin: object
    organizer: object
    staff: object
    other_org: object
    other_admin: object
    coordinator: object


@pytest.fixture
def people(make):
    org = make.org(name="北京市测试局", headcount=20)
    team = make.team(org, "办公室")
    other = make.org(name="天津市测试中学", region="tianjin", sector="school")
    other_team = make.team(other, "行政办公室")
    return People(
        org=org, team=team,
        admin=make.user(org, team, role="admin", username="t_admin", password=PASSWORD,
                        display_name="管理员甲"),
        organizer=make.user(org, team, role="organizer", username="t_organizer",
                            password=PASSWORD, display_name="组织者乙"),
        staff=make.user(org, team, username="t_staff", password=PASSWORD,
                        display_name="职工丙"),
        other_org=other,
        other_admin=make.user(other, other_team, role="admin", username="t_other_admin",
                              password=PASSWORD),
        coordinator=make.user(None, None, role="superadmin", username="t_coordinator",
                              password=PASSWORD, display_name="协调员"))


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


class SignedIn:
    """A test client signed in to the console, with a CSRF token for its forms."""

    def __init__(self, client, username: str, password: str = PASSWORD):
        self.client = client
        page = client.get("/console/login")
        response = client.post("/console/login", data={
            "username": username, "password": password, "csrf_token": csrf_of(page.text)})
        assert response.status_code == 303, response.text
        self.csrf = csrf_of(client.get("/console/me").text)

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def sign_in(app):
    def signed_in(user, password: str = PASSWORD) -> SignedIn:
        return SignedIn(app.test_client(), user.username, password)

    return signed_in


# --- browser journeys -------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium_path():
    """Debian's Chromium; missing, the browser tests skip (under CI=true they fail)."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if IS_CI:
            pytest.fail(f"Chromium is required under CI and is missing at {CHROMIUM}")
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(chromium_path):
    return {"executable_path": chromium_path, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-extensions"]}


@pytest.fixture(scope="session")
def live_server(app):
    """The app served by a real server thread on a free port, for the browser."""
    from werkzeug.serving import make_server

    app.config["CONSOLE_LIVE_REFRESH_S"] = 1
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def shoot(request):
    """Save a full-page screenshot as a test artefact (tests/artifacts/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
