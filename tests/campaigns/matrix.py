"""Role x endpoint matrix of the campaign routes (format: tests/identity/matrix.py)."""

from __future__ import annotations

from tests.identity.matrix import Route

CAMPAIGN_BODY = {"name": "矩阵宣传周", "starts_at": "2099-06-01T00:00:00+08:00",
                 "ends_at": "2099-06-08T00:00:00+08:00", "multiplier": 2}
EVENT_BODY = {"name": "开放日", "starts_at": "2099-06-02T09:00:00+08:00",
              "ends_at": "2099-06-02T17:00:00+08:00", "points": 10, "max_checkins": 50}

ROUTE_MATRIX = [
    Route("POST", "/api/v1/campaigns", "organizer", CAMPAIGN_BODY),
    Route("GET", "/api/v1/campaigns", "staff"),
    Route("GET", "/api/v1/campaigns/<int:campaign_id>", "staff"),
    Route("PATCH", "/api/v1/campaigns/<int:campaign_id>", "organizer", {"description": "新说明"}),
    Route("GET", "/api/v1/campaigns/<int:campaign_id>/report", "organizer"),
    Route("POST", "/api/v1/campaigns/<int:campaign_id>/events", "organizer", EVENT_BODY),
    Route("GET", "/api/v1/campaigns/<int:campaign_id>/events", "organizer"),
    Route("GET", "/api/v1/campaigns/<int:campaign_id>/events/<int:event_id>/qr", "organizer"),
    Route("POST", "/api/v1/campaigns/<int:campaign_id>/events/<int:event_id>/approve", "admin"),
    Route("POST", "/api/v1/checkins", "staff", {"code": "NOPE2345"}),
]
