"""The OpenAPI document, the docs page, liveness and readiness."""

from __future__ import annotations

import re

import pytest

from tests.identity.conftest import free_port

SPEC_URL = "/api/v1/openapi.json"
WRITE_METHODS = {"post", "put", "patch"}


def api_routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every API route Flask serves, but the document itself."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == SPEC_URL:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def operations(spec) -> dict[tuple[str, str], dict]:
    return {(method, path): op for path, ops in spec["paths"].items()
            for method, op in ops.items() if method != "parameters"}


def resolve(spec, node: dict) -> dict:
    while "$ref" in node:
        _, section, kind, name = node["$ref"].split("/")
        node = spec[section][kind][name]
    return node


def takes_json_body(app, endpoint: str) -> bool:
    apidoc = getattr(app.view_functions[endpoint], "_apidoc", {})
    return any(p.get("in") == "json" for p in apidoc.get("arguments", {}).get("parameters", []))


@pytest.fixture(scope="module")
def spec(app):
    response = app.test_client().get(SPEC_URL)
    assert response.status_code == 200
    return response.get_json()


def test_openapi_documents_every_api_route(app, spec):
    documented = set(operations(spec))
    served = api_routes(app)
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def test_error_schema_is_the_api_error_shape(spec):
    error = resolve(spec, spec["components"]["schemas"]["Error"])
    inner = resolve(spec, error["properties"]["error"])
    assert set(inner["properties"]) == {"code", "message", "details"}


def test_every_operation_documents_a_success_response_with_its_schema(spec):
    for (method, path), op in operations(spec).items():
        success = [s for s in op["responses"] if s.startswith("2")]
        assert success, f"{method} {path} has no success response"
        for status in success:
            if status != "204":
                # JSON, or a file download documented by its own type (the energy template)
                content = op["responses"][status]["content"]
                schema = content.get("application/json", next(iter(content.values())))["schema"]
                assert "$ref" in schema or schema.get("type"), f"{method} {path} {status}"


def test_every_operation_documents_errors_with_the_shared_error_schema(spec):
    for (method, path), op in operations(spec).items():
        public = op.get("security") == [{}]
        expected = {"400", "422", "500"} | (set() if public else {"401", "403"})
        if "{" in path:
            expected.add("404")
        assert expected <= set(op["responses"]), f"{method} {path}"
        for status in expected:
            response = resolve(spec, op["responses"][status])
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_operations_taking_a_body_document_its_schema(app, spec):
    ops = operations(spec)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or not takes_json_body(app, rule.endpoint):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            body = ops[(method.lower(), path)].get("requestBody")
            assert body, f"{method} {path} takes a body the document does not describe"
            assert "$ref" in body["content"]["application/json"]["schema"]
            checked += 1
    assert checked >= 10  # the identity routes alone have more


def test_path_parameters_are_documented(spec):
    for (method, path), op in operations(spec).items():
        names = {p["name"] for p in op.get("parameters", []) + spec["paths"][path].get(
            "parameters", []) if p["in"] == "path"}
        assert names == set(re.findall(r"{(\w+)}", path)), f"{method} {path}"


def test_login_is_documented_as_public_with_its_schemas(spec):
    op = spec["paths"]["/api/v1/auth/login"]["post"]
    assert op["security"] == [{}]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LoginIn"}
    token = resolve(spec, op["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"access_token", "refresh_token", "expires_in", "user", "enrolled"} <= set(
        token["properties"])


def test_docs_page_is_html_listing_the_routes(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert SPEC_URL in page
    assert "/api/v1/auth/login" in page
    assert "/api/v1/orgs/{org_id}/users" in page


def test_healthz_answers_without_dependencies(make_app):
    unreachable = make_app({"SQLALCHEMY_DATABASE_URI":
                            f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"})
    response = unreachable.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_database_and_redis_answer(client, app):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.get_json()["checks"]
    assert checks["database"] is True
    if app.config["REDIS_URL"]:
        assert checks["redis"] is True


def _app_on_closed_postgres(make_app):
    from app.config import engine_options

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"
    return make_app({"SQLALCHEMY_DATABASE_URI": url,
                     "SQLALCHEMY_ENGINE_OPTIONS": engine_options(url)})


def test_readyz_answers_503_when_the_database_is_unreachable(make_app):
    response = _app_on_closed_postgres(make_app).test_client().get("/readyz")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"]["checks"]["database"] is False


def test_api_answers_503_when_the_database_is_unreachable(make_app):
    unreachable = _app_on_closed_postgres(make_app)
    response = unreachable.test_client().post(
        "/api/v1/auth/login", json={"username": "someone", "password": "whatever"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"


def test_readyz_answers_503_when_configured_redis_is_unreachable(make_app):
    down = make_app({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"]["checks"] == {"database": True, "redis": False}
