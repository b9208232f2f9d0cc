"""Role x endpoint matrix of the activities routes (format: tests/identity/matrix.py)."""

from __future__ import annotations

from tests.identity.matrix import Route

ENTRY = {"type": "walk", "quantity": 2}

ROUTE_MATRIX = [
    # The catalogue and estimates serve anyone signed in (national grid before enrolment).
    Route("GET", "/api/v1/activity-types", "user"),
    Route("POST", "/api/v1/carbon/estimate", "user", ENTRY),
    Route("POST", "/api/v1/activities", "staff", ENTRY),
    Route("POST", "/api/v1/activities/batch", "staff", {"items": [ENTRY]}),
    Route("DELETE", "/api/v1/activities/<int:activity_id>", "staff"),
    Route("GET", "/api/v1/me/activities", "staff"),
    Route("GET", "/api/v1/me/summary", "staff"),
    Route("GET", "/api/v1/orgs/<int:org_id>/reviews", "admin"),
    Route("POST", "/api/v1/reviews/<int:review_id>/decide", "admin",
          {"decision": "accept", "reason": "矩阵检查"}),
]
