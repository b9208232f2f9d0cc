"""Security headers: nosniff everywhere; no-store on /auth/*, authenticated answers and every
download; a restrictive policy on the /docs page."""

from __future__ import annotations

from tests.identity.conftest import login


def test_every_answer_carries_nosniff(client, make, people):
    for response in (client.get("/healthz"), client.get("/api/v1/openapi.json"),
                     client.get("/docs"), client.get("/api/v1/no-such-thing"),
                     client.get("/api/v1/me", headers=make.headers(people.staff))):
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_auth_answers_are_not_stored(client, people):
    for response in (login(client, people.staff.username),
                     login(client, people.staff.username, "wrong-guess-1"),
                     client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"})):
        assert response.headers["Cache-Control"] == "no-store"


def test_authenticated_json_is_not_stored(client, make, people):
    for path in ("/api/v1/me", "/api/v1/me/points", f"/api/v1/orgs/{people.org.id}/teams"):
        response = client.get(path, headers=make.headers(people.staff))
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def test_every_export_is_not_stored(client, make, people):
    admin = make.headers(people.admin)
    superadmin = make.headers(people.superadmin)
    for path, headers in ((f"/api/v1/reports/orgs/{people.org.id}?format=csv", admin),
                          ("/api/v1/reports/region?format=csv", superadmin),
                          ("/api/v1/public/disclosure?format=csv", {})):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.get_json())
        assert response.headers["Cache-Control"] == "no-store"


def test_docs_cannot_be_framed_or_run_scripts(client):
    response = client.get("/docs")
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy


def test_a_page_registers_its_own_policy_in_the_same_place(make_app):
    from app.security_headers import add_page_headers

    application = make_app()
    add_page_headers(application, "/console", {"Content-Security-Policy": "script-src 'self'"})
    response = application.test_client().get("/console/index.html")
    assert response.headers["Content-Security-Policy"] == "script-src 'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
