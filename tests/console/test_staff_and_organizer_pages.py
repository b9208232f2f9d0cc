"""Staff, organizer and coordinator pages through the test client, checked through the API."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.points.helpers import add_reward, give_points

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_input(instant) -> str:
    """An instant as a datetime-local form value (Beijing time)."""
    return instant.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(timespec="minutes")


def test_staff_page_has_the_contract_controls(sign_in, people):
    page = sign_in(people.staff).get("/console/me").text
    assert '<label for="log-type">行为</label>' in page
    assert '<label for="log-quantity">数量</label>' in page
    assert ">记录</button>" in page


def test_estimate_is_shown_before_saving_and_logs_nothing(sign_in, people, client, make):
    staff = sign_in(people.staff)
    estimate = staff.post("/console/me/estimate", {"type": "walk", "quantity": "2"},
                          headers={"HX-Request": "true"})
    assert estimate.status_code == 200
    assert "预计减碳" in estimate.text
    assert client.get("/api/v1/me/activities",
                      headers=make.headers(people.staff)).get_json()["items"] == []


def test_logging_a_behaviour_once_per_form(sign_in, people, client, make):
    staff = sign_in(people.staff)
    form = {"type": "walk", "quantity": "2", "client_id": "form-1"}
    assert staff.post("/console/me/activities", form).status_code == 303
    assert staff.post("/console/me/activities", form).status_code == 303  # a resend
    items = client.get("/api/v1/me/activities",
                       headers=make.headers(people.staff)).get_json()["items"]
    assert [(a["type"], a["quantity"]) for a in items] == [("walk", 2.0)]


def test_a_double_click_on_redeem_redeems_once(sign_in, people, session, client, make):
    reward = add_reward(session, people.org, cost=30, name="水杯")
    give_points(session, people.staff, 100)
    staff = sign_in(people.staff)
    form = {"idempotency_key": "page-1-r"}
    for _ in range(2):
        assert staff.post(f"/console/me/rewards/{reward.id}/redeem", form).status_code == 303
    mine = client.get("/api/v1/me/redemptions",
                      headers=make.headers(people.staff)).get_json()["items"]
    assert len(mine) == 1
    page = staff.get("/console/me").text
    assert mine[0]["pickup_code"] in page
    assert "data:image/svg+xml" in page


def test_redeem_without_enough_points_says_so(sign_in, people, session):
    reward = add_reward(session, people.org, cost=30, name="水杯")
    staff = sign_in(people.staff)
    response = staff.post(f"/console/me/rewards/{reward.id}/redeem",
                          {"idempotency_key": "k"}, follow_redirects=True)
    assert "积分不足" in response.text


def test_another_organisations_reward_cannot_be_redeemed(sign_in, people, session):
    reward = add_reward(session, people.other_org, cost=1)
    staff = sign_in(people.staff)
    response = staff.post(f"/console/me/rewards/{reward.id}/redeem",
                          {"idempotency_key": "k"}, follow_redirects=True)
    assert "找不到" in response.text


def _campaign(sign_in_as, org, clock, start_in: timedelta, **extra):
    now = clock.now()
    form = {"name": "绿色出行周", "starts_at": local_input(now + start_in),
            "ends_at": local_input(now + start_in + timedelta(days=7)), "multiplier": "2",
            "activity_multipliers": "walk=3", "goal_co2e_kg": "100", **extra}
    return sign_in_as.post(f"/console/orgs/{org.id}/campaigns", form)


def test_organizer_creates_a_campaign_the_api_shows(sign_in, people, client, make, clock):
    organizer = sign_in(people.organizer)
    response = _campaign(organizer, people.org, clock, timedelta(days=1))
    assert response.status_code == 303
    campaign_id = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = client.get(f"/api/v1/campaigns/{campaign_id}",
                       headers=make.headers(people.staff)).get_json()
    assert shown["name"] == "绿色出行周"
    assert shown["activity_multipliers"] == {"walk": 3.0}


def test_a_started_campaigns_rules_are_locked(sign_in, people, clock):
    organizer = sign_in(people.organizer)
    location = _campaign(organizer, people.org, clock, -timedelta(hours=1)).headers["Location"]
    page = organizer.get(location).text
    assert "规则已锁定" in page
    refused = organizer.post(location, {"name": "改名", "multiplier": "5"})
    assert refused.status_code == 409
    allowed = organizer.post(location, {"description": "新的说明"})
    assert allowed.status_code == 303


def test_open_day_poster_and_check_in_from_its_link(sign_in, people, clock, client, make):
    organizer = sign_in(people.organizer)
    location = _campaign(organizer, people.org, clock, -timedelta(hours=1)).headers["Location"]
    now = clock.now()
    poster = organizer.post(location + "/events", {
        "name": "开放日", "starts_at": local_input(now - timedelta(minutes=30)),
        "ends_at": local_input(now + timedelta(hours=3)), "points": "20",
        "max_checkins": "50"})
    assert poster.status_code == 303
    page = organizer.get(poster.headers["Location"]).text
    assert "data:image/svg+xml" in page
    link = re.search(r"/console/me/checkin\?code=([A-Z0-9]+)", page).group(1)
    staff = sign_in(people.staff)
    landing = staff.get(f"/console/me/checkin?code={link}", follow_redirects=True)
    assert f'value="{link}"' in landing.text
    assert staff.post("/console/me/checkin", {"code": link}).status_code == 303
    assert staff.post("/console/me/checkin", {"code": link}).status_code == 409
    assert client.get("/api/v1/me/points",
                      headers=make.headers(people.staff)).get_json()["balance"] == 20
    count = organizer.get(poster.headers["Location"], headers={"HX-Request": "true"})
    assert ">1</strong>" in count.text


def test_live_page_polls_itself_and_has_a_projector_mode(sign_in, people, clock):
    organizer = sign_in(people.organizer)
    location = _campaign(organizer, people.org, clock, -timedelta(hours=1)).headers["Location"]
    live = organizer.get(location + "/live")
    assert 'hx-trigger="every' in live.text
    assert "data-fullscreen" in live.text
    fragment = organizer.get(location + "/live", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "团队排名" in fragment.text


def test_coordinator_compares_institutions_and_previews_the_disclosure(sign_in, people):
    coordinator = sign_in(people.coordinator)
    region = coordinator.get("/console/region")
    assert people.org.name in region.text
    assert people.other_org.name in region.text
    chart = coordinator.get("/console/region/chart.json").get_json()
    assert len(chart["categories"]) == 2
    preview = coordinator.get("/console/region/disclosure")
    assert preview.status_code == 200
    assert preview.text.count('data-withheld="true"') == 2  # nobody participated yet


def test_public_disclosure_page_needs_no_sign_in(client, people):
    page = client.get("/disclosure")
    assert page.status_code == 200
    assert "不公开" in page.text
    assert client.get("/disclosure?region=mars").status_code == 422


@pytest.mark.parametrize("url", [
    "/console/orgs/0", "/console/orgs/99999999999999999999", "/console/orgs/1/rewards/abc",
    "/console/orgs/1/campaigns/99999999/live", "/console/region?year=abc",
    "/console/region?year=99999", "/console/orgs/1/reports?year=-1&format=pdf",
    "/console/orgs/1/people?cursor=%%%", "/console/orgs/1/people?cursor=W10",
    "/console/me/checkin?code=" + "A" * 300, "/console/nowhere", "/disclosure?year=x",
    "/console/orgs/1/invites/sheet?ids=1,2,abc,99999999999999999",
])
def test_odd_addresses_never_answer_500(sign_in, people, url):
    for user in (people.coordinator, people.admin):
        assert sign_in(user).get(url).status_code < 500, url


@pytest.mark.parametrize(("url", "form"), [
    ("/console/me/activities", {"type": "walk", "quantity": "NaN"}),
    ("/console/me/activities", {"type": "walk", "quantity": "1e999"}),
    ("/console/me/activities", {"type": "x" * 1000, "quantity": "1"}),
    ("/console/me/estimate", {"type": "walk", "quantity": "-0"}),
    ("/console/me/checkin", {"code": ""}),
    ("/console/me/rewards/1/redeem", {"idempotency_key": ""}),
    ("/console/me/rewards/1/redeem", {"idempotency_key": "k" * 500}),
    ("/console/orgs/{org}/rewards", {"name": "a", "cost_points": "99999999999999999999"}),
    ("/console/orgs/{org}/adjustments", {"username": "t_staff", "delta": "1e3", "reason": "x"}),
    ("/console/orgs/{org}/campaigns", {"name": "a", "starts_at": "yesterday",
                                       "ends_at": "tomorrow"}),
    ("/console/orgs/{org}/people", {"username": "\u0000", "display_name": "x"}),
    ("/console/orgs/{org}/people/import", {"mode": "import", "content": "%%%"}),
])
def test_odd_forms_never_answer_500(sign_in, people, url, form):
    admin = sign_in(people.admin)
    assert admin.post(url.format(org=people.org.id), form).status_code < 500


def test_campaign_report_downloads_as_csv(sign_in, people, clock):
    organizer = sign_in(people.organizer)
    location = _campaign(organizer, people.org, clock, -timedelta(hours=1)).headers["Location"]
    report = organizer.get(location + "/report.csv")
    assert report.status_code == 200
    assert report.mimetype == "text/csv"


def test_staff_void_todays_entry_and_edit_their_profile(sign_in, people, client, make):
    staff = sign_in(people.staff)
    staff.post("/console/me/activities", {"type": "walk", "quantity": "2", "client_id": "v1"})
    activity = client.get("/api/v1/me/activities",
                          headers=make.headers(people.staff)).get_json()["items"][0]
    assert "撤销" in staff.get("/console/me").text
    assert staff.post(f"/console/me/activities/{activity['id']}/void").status_code == 303
    assert staff.post(f"/console/me/activities/{activity['id']}/void").status_code == 409
    assert staff.post("/console/me/profile", {"display_name": "新名字", "team_id": ""}
                      ).status_code == 303
    me = client.get("/api/v1/me", headers=make.headers(people.staff)).get_json()
    assert me["display_name"] == "新名字"
    assert me["team_id"] is None
    assert me["show_on_leaderboard"] is False


def test_a_person_without_an_organisation_joins_with_an_invite(sign_in, people, make, client,
                                                               clock):
    newcomer = make.user(None, None, username="t_newcomer", password="console-pass-1")
    invite = client.post(f"/api/v1/orgs/{people.org.id}/invites", json={
        "team_id": people.team.id, "role": "staff", "max_uses": 1,
        "expires_at": (clock.now() + timedelta(days=1)).isoformat()},
        headers=make.headers(people.admin)).get_json()
    signed_in = sign_in(newcomer)
    assert "加入单位" in signed_in.get("/console/me").text
    assert signed_in.post("/console/me/enrol", {"invite_code": "NOPE1234",
                                                "display_name": "新同事"}).status_code == 422
    assert signed_in.post("/console/me/enrol", {"invite_code": invite["code"],
                                                "display_name": "新同事"}).status_code == 303
    me = client.get("/api/v1/me", headers=make.headers(newcomer)).get_json()
    assert me["org_id"] == people.org.id
    assert me["display_name"] == "新同事"


def test_leaderboard_page_shows_the_api_board(sign_in, people, client, make):
    client.post("/api/v1/activities", json={"type": "walk", "quantity": 2},
                headers=make.headers(people.staff))
    api = client.get("/api/v1/leaderboards/teams?period=week",
                     headers=make.headers(people.staff)).get_json()
    page = sign_in(people.staff).get("/console/boards?scope=teams&period=week")
    assert page.status_code == 200
    assert api["entries"][0]["name"] in page.text
    assert "我的名次" in page.text
    assert sign_in(people.staff).get("/console/boards?metric=nope").status_code == 422


def test_coordinator_runs_a_region_wide_campaign_an_organizer_cannot(sign_in, people, clock,
                                                                     client, make):
    now = clock.now()
    form = {"region": "beijing", "name": "京津冀低碳周",
            "starts_at": local_input(now + timedelta(days=1)),
            "ends_at": local_input(now + timedelta(days=8)), "multiplier": "1.5"}
    assert sign_in(people.organizer).post("/console/region/campaigns", form).status_code == 403
    coordinator = sign_in(people.coordinator)
    assert coordinator.post("/console/region/campaigns", {**form, "region": ""}
                            ).status_code == 422
    assert coordinator.post("/console/region/campaigns", form).status_code == 303
    assert "京津冀低碳周" in coordinator.get("/console/region").text
    seen = client.get("/api/v1/campaigns", headers=make.headers(people.staff)).get_json()
    assert [(c["name"], c["region"]) for c in seen["items"]] == [("京津冀低碳周", "beijing")]


def test_region_comparison_exports_csv_and_xlsx(sign_in, people):
    coordinator = sign_in(people.coordinator)
    csv = coordinator.get("/console/region/export?format=csv&region=beijing")
    assert csv.mimetype == "text/csv"
    assert people.org.name in csv.data.decode("utf-8-sig")
    xlsx = coordinator.get("/console/region/export?format=xlsx")
    assert xlsx.data[:2] == b"PK"
    assert coordinator.get("/console/region/export?region=mars").status_code == 422
