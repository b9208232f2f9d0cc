"""A client reading the OpenAPI document learns that a report may come back as CSV."""

from __future__ import annotations

SPEC_URL = "/api/v1/openapi.json"


def offers_csv(operation: dict) -> bool:
    """`?format=` chooses json or csv (a file download such as a template offers no json)."""
    return any(p["name"] == "format" and {"csv", "json"} <= set(p.get("schema", {}).get("enum", []))
               for p in operation.get("parameters", []))


def test_every_route_answering_csv_documents_text_csv_beside_json(client):
    spec = client.get(SPEC_URL).get_json()
    csv_routes = {path: op for path, ops in spec["paths"].items()
                  for method, op in ops.items() if method == "get" and offers_csv(op)}
    assert {"/api/v1/reports/orgs/{org_id}", "/api/v1/reports/region",
            "/api/v1/public/disclosure"} <= set(csv_routes)
    for path, op in csv_routes.items():
        content = op["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}, path
        assert content["application/json"]["schema"]["$ref"].endswith("Out"), path


def test_the_csv_answer_has_the_documented_content_type(client):
    response = client.get("/api/v1/public/disclosure?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
