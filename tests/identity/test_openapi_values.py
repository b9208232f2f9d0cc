"""Defaults and formats in the document are ones a generated client can use as written."""

from __future__ import annotations

SPEC_URL = "/api/v1/openapi.json"
JSON_SCHEMA_FORMATS = {"date-time", "date", "time", "email", "uri", "uuid", "int32", "int64",
                       "float", "double", "decimal", "binary", "password", "ipv4", "ipv6"}


def _properties(spec):
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            yield f"{name}.{field}", prop


def test_a_number_field_documents_a_number_default(client):
    spec = client.get(SPEC_URL).get_json()
    wrong = [name for name, prop in _properties(spec)
             if prop.get("type") in ("number", "integer") and "default" in prop
             and not isinstance(prop["default"], int | float)
             and not (prop["default"] is None and prop.get("nullable"))]
    assert wrong == []
    assert spec["components"]["schemas"]["CampaignIn"]["properties"]["multiplier"]["default"] == 1


def test_string_formats_are_the_standard_ones(client):
    spec = client.get(SPEC_URL).get_json()
    unknown = [(name, prop["format"]) for name, prop in _properties(spec)
               if "format" in prop and prop["format"] not in JSON_SCHEMA_FORMATS]
    assert unknown == []
    assert spec["components"]["schemas"]["RewardIn"]["properties"]["image_url"]["format"] == "uri"
