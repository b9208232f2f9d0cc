"""The points report: issued, redeemed and expired by month, liability and budget used;
JSON and CSV (text cells safe from formula injection)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from app.csv_export import safe_cell
from points.expiry import expire_points
from points.ledger import credit_points
from points.models import PointsPolicy
from tests.points.helpers import auth

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _move(session, user, delta, when, kind):
    credit_points(session, user_id=user.id, org_id=user.org_id, team_id=user.team_id,
                  delta=delta, kind=kind, source_type="test", source_id=uuid.uuid4().hex,
                  now=when)
    session.commit()


def _setup(session, world):
    session.add(PointsPolicy(org_id=world.org.id, grams_per_point=10, point_value_e4=200,
                             annual_budget_fen=100_000, expiry_months=1))
    session.commit()
    _move(session, world.staff, 1000, datetime(2026, 1, 10, tzinfo=SHANGHAI), "earn")
    _move(session, world.staff, -300, datetime(2026, 2, 10, tzinfo=SHANGHAI), "redeem")
    _move(session, world.admin, 200, datetime(2026, 2, 12, tzinfo=SHANGHAI), "bonus")
    # Another organisation's points are not in this report.
    _move(session, world.other_staff, 5000, datetime(2026, 1, 10, tzinfo=SHANGHAI), "earn")
    expire_points(session, datetime(2026, 3, 2, tzinfo=SHANGHAI), commit=session.commit)


def test_points_report_by_month_with_liability_and_budget(client, make, session, world, clock):
    _setup(session, world)
    response = client.get(f"/api/v1/reports/orgs/{world.org.id}/points?year=2026",
                          headers=auth(make, world.admin, clock))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    months = {m["period"]: m for m in body["months"]}
    assert len(months) == 12
    assert months["2026-01"] == {"period": "2026-01", "issued": 1000, "redeemed": 0,
                                 "expired": 0}
    assert months["2026-02"] == {"period": "2026-02", "issued": 200, "redeemed": 300,
                                 "expired": 0}
    # January's 700 left expired on 1 March; February's bonus is still held.
    assert months["2026-03"]["expired"] == 700
    assert body["outstanding_points"] == 200
    assert body["liability_yuan"] == 4  # 200 points x 0.02 yuan
    assert body["annual_budget_yuan"] == 1000
    assert body["budget_used_pct"] == 0.6  # 300 x 0.02 = 6 yuan of 1000
    assert (body["issued"], body["redeemed"], body["expired"]) == (1200, 300, 700)


def test_without_a_budget_the_share_used_is_null(client, make, session, world, clock):
    response = client.get(f"/api/v1/reports/orgs/{world.org.id}/points",
                          headers=auth(make, world.admin, clock))
    body = response.get_json()
    assert body["annual_budget_yuan"] is None
    assert body["budget_used_pct"] is None
    assert body["outstanding_points"] == 0
    assert body["liability_yuan"] == 0


def test_points_report_as_csv(client, make, session, world, clock):
    _setup(session, world)
    response = client.get(f"/api/v1/reports/orgs/{world.org.id}/points?year=2026&format=csv",
                          headers=auth(make, world.admin, clock))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["period", "issued", "redeemed", "expired", "outstanding_points",
                       "liability_yuan", "annual_budget_yuan", "budget_used_pct"]
    assert rows[3][:4] == ["2026-03", "0", "0", "700"]
    assert rows[-1] == ["2026", "1200", "300", "700", "200", "4.00", "1000", "0.6"]


def test_staff_and_other_organisations_cannot_read_it(client, make, world, clock):
    url = f"/api/v1/reports/orgs/{world.org.id}/points"
    assert client.get(url, headers=auth(make, world.staff, clock)).status_code == 403
    assert client.get(url, headers=auth(make, world.other_admin, clock)).status_code == 404


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("北京市测试局") == "北京市测试局"
    assert safe_cell(-5) == -5  # numbers pass as numbers
