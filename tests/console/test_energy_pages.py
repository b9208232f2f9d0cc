"""The energy ledger's console pages: what they change the JSON API shows; refused forms
show the error under the field and change nothing; scope and CSRF as everywhere."""

from __future__ import annotations

import io
import re
from zoneinfo import ZoneInfo

import pytest


@pytest.fixture
def last_year(clock) -> int:
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).year - 1


@pytest.fixture
def bearer(make, clock):
    """Bearer headers issued on the test's clock (any TEST_NOW still signs in)."""
    return lambda user: {"Authorization": f"Bearer {make.token(user, clock.now())}"}


def _api_readings(client, bearer, people, year):
    return client.get(f"/api/v1/orgs/{people.org.id}/energy/readings?year={year}",
                      headers=bearer(people.admin)).get_json()["items"]


def _add(admin, people, period, quantity="1200", unit="kWh", carrier="electricity", **more):
    return admin.post(f"/console/orgs/{people.org.id}/energy/readings",
                      {"carrier": carrier, "period": period, "quantity": quantity,
                       "unit": unit, "year": period[:4], **more})


def test_admin_page_shows_profile_readings_import_and_report(sign_in, people):
    page = sign_in(people.admin).get(f"/console/orgs/{people.org.id}/energy")
    assert page.status_code == 200
    for label in ("能耗台账", "建筑面积（平方米）", "用能人数", "能源品种", "电力", "期间",
                  "数量", "单位", "费用（元）", "提交审核", "文件导入", "下载模板（CSV）",
                  "人均能耗（千克标准煤/人）", "同比", "较基准年", "导出 CSV"):
        assert label in page.text, label
    assert f'data-chart-url="/console/orgs/{people.org.id}/energy/chart.json' in page.text
    assert "<script>" not in page.text
    assert f'href="/console/orgs/{people.org.id}/energy"' in page.text  # in the nav


def test_english_labels(sign_in, people):
    page = sign_in(people.admin).get(f"/console/orgs/{people.org.id}/energy?lang=en")
    for label in ("Energy ledger", "Building area (m2)", "Occupants", "Carrier", "kgce per m2"):
        assert label in page.text, label


@pytest.mark.parametrize("url", ["/console/orgs/{org}/energy",
                                 "/console/orgs/{org}/energy/chart.json",
                                 "/console/orgs/{org}/energy/report.csv",
                                 "/console/orgs/{org}/energy/template"])
def test_scope_other_org_404_staff_403(sign_in, people, url):
    assert sign_in(people.other_admin).get(url.format(org=people.org.id)).status_code == 404
    assert sign_in(people.staff).get(url.format(org=people.org.id)).status_code == 403


def test_coordinator_pages_are_superadmin_only(sign_in, people):
    for url in ("/console/energy/reviews", "/console/energy/region"):
        assert sign_in(people.admin).get(url).status_code == 403
        assert sign_in(people.coordinator).get(url).status_code == 200
    region = sign_in(people.coordinator).get("/console/region")
    assert 'href="/console/energy/region' in region.text


def test_form_without_csrf_is_refused_and_saves_nothing(sign_in, people, client, bearer,
                                                         last_year):
    admin = sign_in(people.admin)
    response = admin.client.post(f"/console/orgs/{people.org.id}/energy/readings", data={
        "carrier": "electricity", "period": f"{last_year}-03", "quantity": "5", "unit": "kWh"})
    assert response.status_code in (400, 403)
    assert _api_readings(client, bearer, people, last_year) == []


def test_reading_added_corrected_submitted_approved_shows_through_the_api(
        sign_in, people, client, bearer, last_year):
    admin = sign_in(people.admin)
    period = f"{last_year}-03"
    assert _add(admin, people, period, quantity="1.2", unit="万kWh",
                cost_yuan="9000").status_code == 303
    (reading,) = _api_readings(client, bearer, people, last_year)
    assert (reading["period"], reading["quantity"], reading["unit"], reading["cost_yuan"]) == (
        period, 1.2, "万kWh", 9000.0)
    grid = admin.get(f"/console/orgs/{people.org.id}/energy?year={last_year}")
    assert f'data-reading="{reading["id"]}"' in grid.text

    url = f"/console/orgs/{people.org.id}/energy/readings/{reading['id']}"
    assert admin.post(url, {"quantity": "13000", "unit": "kWh",
                            "reason": "抄表更正"}).status_code == 303
    history = client.get(f"/api/v1/energy/readings/{reading['id']}/history",
                         headers=bearer(people.admin)).get_json()["items"]
    assert [(v["quantity"], v["unit"], v["reason"]) for v in history] == [
        (1.2, "万kWh", None), (13000.0, "kWh", "抄表更正")]
    assert "抄表更正" in admin.get(url).text

    assert admin.post(f"/console/orgs/{people.org.id}/energy/submissions",
                      {"period": period, "year": str(last_year)}).status_code == 303
    assert _api_readings(client, bearer, people, last_year)[0]["status"] == "submitted"

    coordinator = sign_in(people.coordinator)
    queue = coordinator.get("/console/energy/reviews?status=submitted")
    assert people.org.name in queue.text
    submissions = client.get("/api/v1/energy/submissions",
                             headers=bearer(people.coordinator)).get_json()["items"]
    assert coordinator.post(f"/console/energy/reviews/{submissions[0]['id']}/approve"
                            ).status_code == 303
    assert _api_readings(client, bearer, people, last_year)[0]["status"] == "approved"


def test_return_needs_a_comment_then_reopens_the_period(sign_in, people, client, bearer,
                                                        last_year):
    admin = sign_in(people.admin)
    _add(admin, people, f"{last_year}-04")
    admin.post(f"/console/orgs/{people.org.id}/energy/submissions",
               {"period": f"{last_year}-04"})
    coordinator = sign_in(people.coordinator)
    (submission,) = client.get("/api/v1/energy/submissions",
                               headers=bearer(people.coordinator)).get_json()["items"]
    url = f"/console/energy/reviews/{submission['id']}/return"
    refused = coordinator.post(url, {"comment": ""})
    assert refused.status_code == 422
    assert 'class="field-error"' in refused.text
    assert _api_readings(client, bearer, people, last_year)[0]["status"] == "submitted"
    assert coordinator.post(url, {"comment": "电量偏高，请核对"}).status_code == 303
    assert _api_readings(client, bearer, people, last_year)[0]["status"] == "draft"
    assert coordinator.post(url, {"comment": "again"}).status_code == 409


@pytest.mark.parametrize(("fields", "field"), [
    ({"quantity": "-3"}, "quantity"),
    ({"quantity": "nan"}, "quantity"),
    ({"unit": "GJ"}, "unit"),
    ({"carrier": "uranium"}, "carrier"),
    ({"period": "2020-13"}, "period"),
    ({"period": "2999-01"}, "period"),
    ({"cost_yuan": "abc"}, "cost_yuan"),
    ({"quantity": ""}, "quantity"),
])
def test_bad_reading_shows_the_error_under_its_field_and_saves_nothing(
        sign_in, people, client, bearer, last_year, fields, field):
    admin = sign_in(people.admin)
    body = {"carrier": "electricity", "period": f"{last_year}-05", "quantity": "10",
            "unit": "kWh", **fields}
    response = admin.post(f"/console/orgs/{people.org.id}/energy/readings", body)
    assert response.status_code == 422, response.text
    assert f'id="err-reading-{field}"' in response.text
    assert _api_readings(client, bearer, people, last_year) == []


def test_second_reading_of_a_period_is_409_on_the_form(sign_in, people, client, bearer,
                                                       last_year):
    admin = sign_in(people.admin)
    _add(admin, people, f"{last_year}-06")
    response = _add(admin, people, f"{last_year}-06", quantity="99")
    assert response.status_code == 409
    assert [r["quantity"] for r in _api_readings(client, bearer, people, last_year)] == [1200.0]


def test_correction_without_reason_changes_nothing(sign_in, people, client, bearer, last_year):
    admin = sign_in(people.admin)
    _add(admin, people, f"{last_year}-07")
    (reading,) = _api_readings(client, bearer, people, last_year)
    response = admin.post(f"/console/orgs/{people.org.id}/energy/readings/{reading['id']}",
                          {"quantity": "5", "reason": ""})
    assert response.status_code == 422
    assert 'id="err-correct-reason"' in response.text
    assert _api_readings(client, bearer, people, last_year)[0]["quantity"] == 1200.0
    other = sign_in(people.other_admin)
    assert other.get(f"/console/orgs/{people.other_org.id}/energy/readings/{reading['id']}"
                     ).status_code == 404


def test_profile_form_saves_and_refuses_zero_under_the_field(sign_in, people, client, bearer,
                                                             last_year):
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/energy/profile"
    refused = admin.post(url, {"year": str(last_year), "building_area_m2": "0",
                               "occupants": "50"})
    assert refused.status_code == 422
    assert 'id="err-profile-building_area_m2"' in refused.text
    profiles = f"/api/v1/orgs/{people.org.id}/energy/profiles"
    assert client.get(profiles, headers=bearer(people.admin)).get_json()["items"] == []
    assert admin.post(url, {"year": str(last_year), "building_area_m2": "8000",
                            "occupants": "200"}).status_code == 303
    (profile,) = client.get(profiles, headers=bearer(people.admin)).get_json()["items"]
    assert (profile["year"], profile["building_area_m2"], profile["occupants"]) == (
        last_year, 8000, 200)


def test_report_chart_and_csv_show_the_readings(sign_in, people, last_year):
    admin = sign_in(people.admin)
    admin.post(f"/console/orgs/{people.org.id}/energy/profile",
               {"year": str(last_year), "building_area_m2": "1000", "occupants": "100"})
    _add(admin, people, f"{last_year}-01", quantity="10000")
    chart = admin.get(f"/console/orgs/{people.org.id}/energy/chart.json?year={last_year}"
                      ).get_json()
    assert chart["categories"][0] == f"{last_year}-01"
    assert len(chart["categories"]) == 12
    assert chart["series"][0]["data"][0] == pytest.approx(1229.0)  # 0.1229 kgce/kWh
    page = admin.get(f"/console/orgs/{people.org.id}/energy?year={last_year}")
    assert "1.23" in page.text  # kgce per m2: 1229 / 1000
    csv = admin.get(f"/console/orgs/{people.org.id}/energy/report.csv?year={last_year}")
    assert csv.status_code == 200
    assert "kgce_per_m2" in csv.text


def test_import_dry_run_lists_row_errors_then_all_or_nothing(sign_in, people, client, bearer,
                                                             last_year):
    admin = sign_in(people.admin)
    url = f"/console/orgs/{people.org.id}/energy/import"
    bad = (f"期间,能源品种,数量,单位,费用\n{last_year}-01,电力,100,kWh,80\n"
           f"{last_year}-02,电力,-1,kWh,\n{last_year}-03,铀,1,kg,\n").encode()
    checked = admin.client.post(url, data={"csrf_token": admin.csrf,
                                           "file": (io.BytesIO(bad), "e.csv")},
                                content_type="multipart/form-data")
    assert checked.status_code == 422
    assert 'class="bad-row"' in checked.text
    assert checked.text.count('class="bad-row"') == 2
    assert _api_readings(client, bearer, people, last_year) == []
    good = f"period,carrier,quantity,unit,cost_yuan\n{last_year}-01,electricity,100,kWh,80\n"
    checked = admin.client.post(url, data={"csrf_token": admin.csrf,
                                           "file": (io.BytesIO(good.encode("gbk")), "e.csv")},
                                content_type="multipart/form-data")
    assert checked.status_code == 200
    assert 'name="content"' in checked.text
    assert _api_readings(client, bearer, people, last_year) == []

    content = re.search(r'name="content" value="([^"]+)"', checked.text).group(1)
    done = admin.post(url, {"mode": "import", "filename": "e.csv", "content": content})
    assert done.status_code == 303
    assert [r["quantity"] for r in _api_readings(client, bearer, people, last_year)] == [100.0]


def test_template_downloads(sign_in, people):
    admin = sign_in(people.admin)
    csv = admin.get(f"/console/orgs/{people.org.id}/energy/template?format=csv")
    assert csv.status_code == 200
    assert "期间" in csv.data.decode("utf-8-sig")
    xlsx = admin.get(f"/console/orgs/{people.org.id}/energy/template?format=xlsx")
    assert xlsx.data[:2] == b"PK"


@pytest.mark.parametrize("url", [
    "/console/orgs/{org}/energy?year=abc",
    "/console/orgs/{org}/energy?year=99999999999999",
    "/console/orgs/{org}/energy/chart.json?year=-1",
    "/console/orgs/{org}/energy/report.csv?base_year=x",
    "/console/orgs/{org}/energy/template?format=exe",
    "/console/orgs/{org}/energy/readings/99999999",
    "/console/energy/reviews?region=mars&status=zzz",
    "/console/energy/region?year=abc&sector=%00",
])
def test_junk_input_never_answers_500(sign_in, people, url):
    user = people.coordinator if "/console/energy/" in url else people.admin
    response = sign_in(user).get(url.format(org=people.org.id))
    assert response.status_code < 500, response.text


def test_junk_posts_never_answer_500(sign_in, people):
    admin = sign_in(people.admin)
    base = f"/console/orgs/{people.org.id}/energy"
    for url, data in ((f"{base}/readings", {"quantity": "1e999999", "period": "\x00"}),
                      (f"{base}/profile", {"building_area_m2": "9" * 40, "occupants": "x"}),
                      (f"{base}/submissions", {"period": "garbage"}),
                      (f"{base}/import", {"mode": "import", "content": "%%%"}),
                      (f"{base}/import", {"content": "aGVsbG8=", "filename": "x.exe"})):
        assert admin.post(url, data).status_code < 500, url
    coordinator = sign_in(people.coordinator)
    assert coordinator.post("/console/energy/reviews/99999999/approve").status_code == 404


def test_a_reading_opens_in_place_with_htmx(sign_in, people, last_year):
    admin = sign_in(people.admin)
    _add(admin, people, f"{last_year}-08")
    grid = admin.get(f"/console/orgs/{people.org.id}/energy?year={last_year}")
    url = re.search(r'hx-get="([^"]+/energy/readings/\d+)" hx-target="#reading-panel"',
                    grid.text).group(1)
    partial = admin.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert "历史版本" in partial.text
    assert 'name="reason"' in partial.text


def test_correcting_approved_data_is_a_restatement_marked_on_the_page(
        sign_in, people, client, bearer, last_year):
    admin = sign_in(people.admin)
    _add(admin, people, f"{last_year}-09")
    admin.post(f"/console/orgs/{people.org.id}/energy/submissions",
               {"period": f"{last_year}-09"})
    (submission,) = client.get("/api/v1/energy/submissions",
                               headers=bearer(people.coordinator)).get_json()["items"]
    sign_in(people.coordinator).post(f"/console/energy/reviews/{submission['id']}/approve")
    (reading,) = _api_readings(client, bearer, people, last_year)
    url = f"/console/orgs/{people.org.id}/energy/readings/{reading['id']}"
    assert "重述" in admin.get(url).text  # the form says what a correction will be
    assert admin.post(url, {"quantity": "1300", "unit": "kWh",
                            "reason": "供电局补开发票"}).status_code == 303
    (restated,) = _api_readings(client, bearer, people, last_year)
    assert (restated["quantity"], restated["restated"]) == (1300.0, True)
    page = admin.get(f"/console/orgs/{people.org.id}/energy?year={last_year}")
    assert page.text.count("已更正重述") >= 2  # the report and the reading
    region = sign_in(people.coordinator).get(f"/console/energy/region?year={last_year}")
    assert people.org.name in region.text
