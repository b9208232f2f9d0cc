"""Admin pages through the test client: what a page changes the JSON API shows."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.models import User
from tests.points.helpers import add_reward, give_points, redeem


def test_dashboard_shows_this_month_last_month_and_a_year_before(sign_in, people):
    page = sign_in(people.admin).get(f"/console/orgs/{people.org.id}")
    assert page.status_code == 200
    for label in ("本月", "上月", "去年同月", "减碳量（千克）", "参与率", "发放积分", "兑换积分"):
        assert label in page.text
    assert f'data-chart-url="/console/orgs/{people.org.id}/chart.json"' in page.text


def test_dashboard_chart_has_twelve_months_ending_this_month(sign_in, people, session, clock):
    give_points(session, people.staff, 40)
    chart = sign_in(people.admin).get(f"/console/orgs/{people.org.id}/chart.json").get_json()
    assert len(chart["categories"]) == 12
    this_month = clock.now().astimezone(people_zone()).strftime("%Y-%m")
    assert chart["categories"][-1] == this_month
    issued = next(s for s in chart["series"] if s["name"] == "发放积分")
    assert issued["data"][-1] == 40


def people_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_new_reward_form_creates_what_the_api_lists(sign_in, people, client, make):
    admin = sign_in(people.admin)
    response = admin.post(f"/console/orgs/{people.org.id}/rewards",
                          {"name": "帆布袋", "cost_points": "120", "stock": "7"})
    assert response.status_code == 303
    listed = client.get(f"/api/v1/orgs/{people.org.id}/rewards",
                        headers=make.headers(people.admin)).get_json()["items"]
    assert [(r["name"], r["cost_points"], r["stock_remaining"]) for r in listed] == [
        ("帆布袋", 120, 7)]


def test_invalid_reward_values_answer_422_under_their_labels_and_save_nothing(sign_in,
                                                                            people, client,
                                                                            make):
    admin = sign_in(people.admin)
    response = admin.post(f"/console/orgs/{people.org.id}/rewards",
                          {"name": "", "cost_points": "abc", "stock": "-1"})
    assert response.status_code == 422
    assert "名称" in response.text
    assert "所需积分" in response.text
    assert "库存" in response.text
    assert client.get(f"/api/v1/orgs/{people.org.id}/rewards",
                      headers=make.headers(people.admin)).get_json()["items"] == []


def test_stock_movement_with_a_reason_is_listed_and_never_below_zero(sign_in, people,
                                                                   session):
    reward = add_reward(session, people.org, stock=3)
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/rewards/{reward.id}"
    assert admin.post(url + "/stock", {"delta": "5", "reason": "补货"}).status_code == 303
    assert admin.post(url + "/stock", {"delta": "-50", "reason": "报损"}).status_code == 409
    page = admin.get(url)
    assert "补货" in page.text
    assert "报损" not in page.text
    session.refresh(reward)
    assert reward.stock == 8


def test_counter_hands_over_then_says_when_and_by_whom(sign_in, people, session, client,
                                                      make):
    reward = add_reward(session, people.org, cost=30, name="保温杯")
    give_points(session, people.staff, 100)
    code = redeem(client, make, people.staff, reward.id, "k1").get_json()[
        "redemption"]["pickup_code"]
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/counter"
    assert "取货码" in admin.get(url).text
    assert "核销" in admin.get(url).text
    first = admin.post(url, {"pickup_code": code.lower()})
    assert first.status_code == 200
    assert "职工丙" in first.text
    assert "保温杯" in first.text
    mine = client.get("/api/v1/me/redemptions",
                      headers=make.headers(people.staff)).get_json()["items"]
    assert mine[0]["status"] == "fulfilled"
    second = admin.post(url, {"pickup_code": code})
    assert second.status_code == 409
    assert "管理员甲" in second.text
    assert "核销" in second.text
    sheet = admin.get(url).text
    assert code in sheet  # the day's sheet lists it


def test_counter_hands_a_locked_claim_over_only_by_override_with_a_reason(
        sign_in, people, session, client, make):
    reward = add_reward(session, people.org, cost=30, name="保温杯")
    give_points(session, people.staff, 100)
    claim = redeem(client, make, people.staff, reward.id, "k1").get_json()["redemption"]
    wrong = "A" * len(claim["pickup_code"]) if claim["pickup_code"][0] != "A" else "B" * len(
        claim["pickup_code"])
    for _ in range(5):  # wrong codes against this claim through the API lock it
        client.post(f"/api/v1/redemptions/{claim['id']}/fulfil", json={"pickup_code": wrong},
                    headers=make.headers(people.admin))
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/counter"

    locked = admin.post(url, {"pickup_code": claim["pickup_code"]})
    mine = client.get("/api/v1/me/redemptions", headers=make.headers(people.staff))
    assert locked.status_code == 409
    assert all(text in locked.text for text in ("已锁定", "越权核销原因", "职工丙"))
    assert mine.get_json()["items"][0]["status"] == "pending"

    done = admin.post(url, {"pickup_code": claim["pickup_code"],
                            "override_reason": "本人到场，核对工牌后发放"})
    mine = client.get("/api/v1/me/redemptions", headers=make.headers(people.staff))
    assert done.status_code == 200
    assert mine.get_json()["items"][0]["status"] == "fulfilled"


def test_counter_unknown_or_odd_codes_never_fail(sign_in, people):
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/counter"
    for code in ("", "NOPE99", "x" * 500, "<script>", "😀", "\u0000"):
        assert admin.post(url, {"pickup_code": code}).status_code in (404, 400)


def test_counter_is_an_htmx_fragment_when_asked(sign_in, people):
    admin = sign_in(people.admin)
    response = admin.post(f"/console/orgs/{people.org.id}/counter", {"pickup_code": "ABCDEF"},
                          headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text
    assert 'hx-swap-oob="true"' in response.text


def test_adjustment_needs_a_reason_and_shows_in_the_persons_statement(sign_in, people,
                                                                     client, make):
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/adjustments"
    assert admin.post(url, {"username": "t_staff", "delta": "25", "reason": ""}
                      ).status_code == 422
    assert admin.post(url, {"username": "nobody", "delta": "25", "reason": "x"}
                      ).status_code == 422
    assert admin.post(url, {"username": "t_staff", "delta": "25", "reason": "志愿服务"}
                      ).status_code == 303
    statement = client.get("/api/v1/me/points", headers=make.headers(people.staff)).get_json()
    assert statement["balance"] == 25
    assert statement["items"][0]["reason"] == "志愿服务"


def test_people_page_adds_a_person_the_api_lists(sign_in, people, client, make):
    admin = sign_in(people.admin)
    response = admin.post(f"/console/orgs/{people.org.id}/people", {
        "username": "new_person", "display_name": "新人", "team_id": str(people.team.id),
        "role": "staff", "employee_no": "", "password": ""})
    assert response.status_code == 303
    users = client.get(f"/api/v1/orgs/{people.org.id}/users",
                       headers=make.headers(people.admin)).get_json()["items"]
    assert "new_person" in [u["username"] for u in users]


def test_an_admin_cannot_grant_superadmin_from_the_console(sign_in, people):
    admin = sign_in(people.admin)
    response = admin.post(f"/console/orgs/{people.org.id}/people", {
        "username": "climber", "display_name": "x", "role": "superadmin"})
    assert response.status_code == 403


def test_invite_form_leads_to_a_printable_sheet_with_a_qr_code(sign_in, people, clock):
    admin = sign_in(people.admin)
    expires = (clock.now().astimezone(people_zone()).replace(tzinfo=None)
               .isoformat(timespec="minutes"))
    assert admin.post(f"/console/orgs/{people.org.id}/invites", {
        "team_id": str(people.team.id), "role": "staff", "max_uses": "5",
        "expires_at": expires}).status_code == 422  # must be in the future
    from datetime import timedelta

    later = (clock.now() + timedelta(days=7)).astimezone(people_zone()).replace(tzinfo=None)
    response = admin.post(f"/console/orgs/{people.org.id}/invites", {
        "team_id": str(people.team.id), "role": "staff", "max_uses": "5",
        "expires_at": later.isoformat(timespec="minutes")})
    assert response.status_code == 303
    sheet = admin.get(response.headers["Location"])
    assert sheet.status_code == 200
    assert "data:image/svg+xml" in sheet.text


GBK_CSV = "用户名,姓名,团队,角色\nimp_ok,张三,办公室,职工\nimp_bad,李四,不存在,职工\n"


def _upload(admin, org_id, content: bytes, filename: str, mode: str = "dry_run", **extra):
    return admin.post(f"/console/orgs/{org_id}/people/import",
                      {"mode": mode, "file": (io.BytesIO(content), filename), **extra},
                      content_type="multipart/form-data")


def test_import_dry_run_lists_each_rows_errors_in_chinese_and_saves_nothing(sign_in, people,
                                                                         session):
    admin = sign_in(people.admin)
    response = _upload(admin, people.org.id, GBK_CSV.encode("gbk"), "people.csv")
    assert response.status_code == 422
    assert "团队“不存在”不存在" in response.text
    assert session.scalar(select(func.count()).select_from(User)
                          .where(User.username.like("imp_%"))) == 0


def test_import_is_all_or_nothing(sign_in, people, session):
    admin = sign_in(people.admin)
    response = _upload(admin, people.org.id, GBK_CSV.encode("gbk"), "people.csv", "import")
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(User)
                          .where(User.username.like("imp_%"))) == 0


def test_xlsx_import_creates_everyone_and_prints_a_sheet(sign_in, people, client, make):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["username", "display_name", "team", "role", "employee_no"])
    book.active.append(["imp_a", "赵一", "办公室", "staff", "E1"])
    book.active.append(["imp_b", "钱二", "", "", None])
    out = io.BytesIO()
    book.save(out)
    admin = sign_in(people.admin)
    check = _upload(admin, people.org.id, out.getvalue(), "people.xlsx")
    assert check.status_code == 200
    assert "2 行均可导入" in check.text
    done = _upload(admin, people.org.id, out.getvalue(), "people.xlsx", "import")
    assert done.status_code == 200
    assert "已导入 2 人" in done.text
    users = client.get(f"/api/v1/orgs/{people.org.id}/users",
                       headers=make.headers(people.admin)).get_json()["items"]
    assert {"imp_a", "imp_b"} <= {u["username"] for u in users}


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"a,b\n1,2\n",
                                     b"PK\x03\x04 not a workbook"])
def test_unreadable_imports_are_refused_not_failed(sign_in, people, content):
    admin = sign_in(people.admin)
    for name in ("x.csv", "x.xlsx"):
        assert _upload(admin, people.org.id, content, name).status_code == 422


def test_reports_page_and_exports(sign_in, people):
    admin = sign_in(people.admin)
    base = f"/console/orgs/{people.org.id}/reports"
    assert admin.get(base).status_code == 200
    assert admin.get(base + "?year=1").status_code == 422
    csv = admin.get(base + "/export?format=csv")
    assert csv.status_code == 200
    assert csv.mimetype == "text/csv"
    xlsx = admin.get(base + "/export?format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.data[:2] == b"PK"


def test_audit_log_shows_console_changes(sign_in, people):
    admin = sign_in(people.admin)
    admin.post(f"/console/orgs/{people.org.id}/rewards", {"name": "审计", "cost_points": "9"})
    page = admin.get(f"/console/orgs/{people.org.id}/audit")
    assert "reward.create" in page.text
    assert "管理员甲" in page.text
    assert admin.get(f"/console/orgs/{people.org.id}/audit?before=99999999999999999999"
                     ).status_code == 200


def test_deactivating_from_the_person_page(sign_in, people, client, make):
    admin = sign_in(people.admin)
    response = admin.post(f"/console/orgs/{people.org.id}/people/{people.staff.id}", {
        "display_name": "职工丙", "role": "staff", "team_id": str(people.team.id)})
    assert response.status_code == 303
    user = client.get(f"/api/v1/orgs/{people.org.id}/users/{people.staff.id}",
                      headers=make.headers(people.admin)).get_json()
    assert user["is_active"] is False



def test_counter_cancels_a_claim_and_refunds_it(sign_in, people, session, client, make):
    reward = add_reward(session, people.org, cost=30, name="保温杯")
    give_points(session, people.staff, 100)
    claim = redeem(client, make, people.staff, reward.id, "k1").get_json()["redemption"]
    admin = sign_in(people.admin)
    page = admin.get(f"/console/orgs/{people.org.id}/counter").text
    assert "待领取的兑换" in page
    assert claim["pickup_code"] not in page  # the person shows the code; the list never does
    url = f"/console/orgs/{people.org.id}/counter/{claim['id']}/cancel"
    assert admin.post(url).status_code == 303
    assert admin.post(url).status_code == 409
    statement = client.get("/api/v1/me/points", headers=make.headers(people.staff)).get_json()
    assert statement["balance"] == 100


def test_settings_change_the_institution_the_api_shows(sign_in, people, client, make):
    admin = sign_in(people.admin)
    response = admin.post(f"/console/orgs/{people.org.id}/settings", {
        "name": "北京市测试局", "region": "beijing", "sector": "government",
        "headcount": "80", "floor_area_m2": "5000", "timezone": "Asia/Shanghai"})
    assert response.status_code == 303
    org = client.get(f"/api/v1/orgs/{people.org.id}", headers=make.headers(people.admin))
    assert org.get_json()["headcount"] == 80


def test_coordinator_registers_an_institution_and_an_admin_cannot(sign_in, people, client,
                                                                  make):
    form = {"name": "河北某医院", "region": "hebei", "sector": "hospital", "headcount": "40"}
    assert sign_in(people.admin).post("/console/orgs", form).status_code == 403
    response = sign_in(people.coordinator).post("/console/orgs", form)
    assert response.status_code == 303
    names = [o["name"] for o in client.get("/api/v1/orgs", headers=make.headers(
        people.coordinator)).get_json()["items"]]
    assert "河北某医院" in names


def test_points_policy_form_changes_what_the_api_shows(sign_in, people, client, make):
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/settings/points-policy"
    assert admin.post(url, {"grams_per_point": "0", "point_value_yuan": "0.01"}
                      ).status_code == 422
    assert admin.post(url, {"grams_per_point": "30", "monthly_earn_cap": "2000",
                            "expiry_months": "", "point_value_yuan": "0.05",
                            "annual_budget_yuan": "5000"}).status_code == 303
    policy = client.get(f"/api/v1/orgs/{people.org.id}/points-policy",
                        headers=make.headers(people.admin)).get_json()
    assert policy["grams_per_point"] == 30
    assert policy["monthly_earn_cap"] == 2000
    assert policy["expiry_months"] is None


def test_reports_page_shows_the_points_report_and_exports_it(sign_in, people):
    admin = sign_in(people.admin)
    page = admin.get(f"/console/orgs/{people.org.id}/reports")
    assert "积分负债（元）" in page.text
    export = admin.get(f"/console/orgs/{people.org.id}/reports/export?kind=points&format=csv")
    assert export.status_code == 200
    assert "points" in export.headers["Content-Disposition"]


def test_reviews_are_decided_once_from_the_console(sign_in, people, client, make):
    for _ in range(3):
        client.post("/api/v1/activities", json={"type": "rail_not_flight", "quantity": 400},
                    headers=make.headers(people.staff))
    admin = sign_in(people.admin)
    page = admin.get(f"/console/orgs/{people.org.id}/reviews")
    assert page.status_code == 200
    reviews = client.get(f"/api/v1/orgs/{people.org.id}/reviews?status=open",
                         headers=make.headers(people.admin)).get_json()["items"]
    assert reviews, "1,200 km of trains in a month is flagged"
    url = f"/console/orgs/{people.org.id}/reviews/{reviews[0]['id']}"
    assert admin.post(url, {"decision": "void", "reason": ""}).status_code == 422
    assert admin.post(url, {"decision": "void", "reason": "行程无法核实"}).status_code == 303
    assert admin.post(url, {"decision": "accept", "reason": "x"}).status_code == 409
    decided = client.get(f"/api/v1/orgs/{people.org.id}/reviews?status=voided",
                         headers=make.headers(people.admin)).get_json()["items"]
    assert [r["reason"] for r in decided] == ["行程无法核实"]


def test_redemption_history_by_status_and_person(sign_in, people, session, client, make):
    reward = add_reward(session, people.org, cost=10, name="笔记本")
    give_points(session, people.staff, 50)
    redeem(client, make, people.staff, reward.id, "h1")
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/redemptions"
    assert "笔记本" in admin.get(url + "?status=pending&username=t_staff").text
    assert "笔记本" not in admin.get(url + "?status=fulfilled").text
    assert "笔记本" not in admin.get(url + "?username=nobody").text
    assert admin.get(url + "?cursor=%%%").status_code == 422
