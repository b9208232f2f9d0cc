"""Journeys per role in Debian's Chromium against a served app, each checked through the
JSON API afterwards; screenshots of every page land in tests/artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.console.conftest import PASSWORD
from tests.points.helpers import add_reward, give_points

pytestmark = [pytest.mark.concurrency, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_input(instant) -> str:
    return instant.astimezone(SHANGHAI).replace(tzinfo=None).isoformat(timespec="minutes")


class Tab:
    """One browser context and page, with the console errors it logged (CSP included)."""

    def __init__(self, browser, base_url: str, viewport: dict):
        self.context = browser.new_context(viewport=viewport, locale="zh-CN",
                                           base_url=base_url)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.errors: list[str] = []
        self.page.on("console",
                     lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def sign_in(self, username: str) -> None:
        page = self.page
        page.goto("/console/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        assert "/console/login" not in page.url

    def fits_the_screen(self) -> bool:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        return width <= self.page.viewport_size["width"]


@pytest.fixture
def tabs(browser, live_server):
    opened = []

    def open_tab(viewport: dict = DESKTOP) -> Tab:
        tab = Tab(browser, live_server, viewport)
        opened.append(tab)
        return tab

    yield open_tab
    for tab in opened:
        assert [e for e in tab.errors if "Content Security Policy" in e] == []
        tab.context.close()


def test_admin_journey(tabs, people, session, client, make, shoot):
    reward = add_reward(session, people.org, cost=30, name="保温杯", stock=3)
    give_points(session, people.staff, 100)
    code = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers=make.headers(
        people.staff, **{"Idempotency-Key": "b1"})).get_json()["redemption"]["pickup_code"]
    tab = tabs()
    page = tab.page
    tab.sign_in("t_admin")
    assert page.url.endswith(f"/console/orgs/{people.org.id}")
    page.wait_for_selector("[data-chart-drawn]")
    shoot(page, "admin-dashboard")

    page.goto(f"/console/orgs/{people.org.id}/rewards")
    page.get_by_label("名称", exact=True).fill("帆布袋")
    page.get_by_label("所需积分").fill("120")
    page.get_by_label("库存", exact=True).fill("5")
    shoot(page, "admin-rewards")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已保存")
    shoot(page, "admin-reward")
    listed = client.get(f"/api/v1/orgs/{people.org.id}/rewards",
                        headers=make.headers(people.admin)).get_json()["items"]
    assert ("帆布袋", 120, 5) in [(r["name"], r["cost_points"], r["stock_remaining"])
                                for r in listed]

    page.goto(f"/console/orgs/{people.org.id}/counter")
    page.get_by_label("取货码").fill(code)
    page.get_by_role("button", name="核销").click()
    result = page.wait_for_selector("[data-outcome=handed_over]")
    assert "职工丙" in result.inner_text()
    assert "保温杯" in result.inner_text()
    mine = client.get("/api/v1/me/redemptions", headers=make.headers(people.staff)).get_json()
    assert mine["items"][0]["status"] == "fulfilled"
    page.get_by_label("取货码").fill(code)
    page.get_by_role("button", name="核销").click()
    again = page.wait_for_selector("[data-outcome=already]")
    assert "管理员甲" in again.inner_text()
    shoot(page, "admin-counter")
    page.set_viewport_size(PHONE)
    assert tab.fits_the_screen()
    shoot(page, "admin-counter-phone")
    page.set_viewport_size(DESKTOP)

    # A form posted without its CSRF token is refused and changes nothing.
    status = page.evaluate("""() => fetch(location.pathname.replace('counter', 'rewards'),
        {method: 'POST', body: new URLSearchParams({name: '伪造', cost_points: '1'})})
        .then(r => r.status)""")
    assert status == 400
    names = [r["name"] for r in client.get(f"/api/v1/orgs/{people.org.id}/rewards",
                                           headers=make.headers(people.admin)
                                           ).get_json()["items"]]
    assert "伪造" not in names

    for name, suffix in (("admin-people", "people"), ("admin-adjustments", "adjustments"),
                         ("admin-audit", "audit"), ("admin-reviews", "reviews"),
                         ("admin-settings", "settings")):
        page.goto(f"/console/orgs/{people.org.id}/{suffix}")
        shoot(page, name)
    page.goto(f"/console/orgs/{people.org.id}/reports")
    page.wait_for_selector("[data-chart-drawn]")
    shoot(page, "admin-reports")

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r".*/console/login$"))
    page.goto(f"/console/orgs/{people.org.id}")
    assert "/console/login" in page.url


def test_staff_journey_on_a_phone(tabs, people, session, client, make, shoot):
    reward = add_reward(session, people.org, cost=30, name="水杯", stock=5)
    give_points(session, people.staff, 100)
    tab = tabs(PHONE)
    page = tab.page
    tab.sign_in("t_staff")
    assert page.url.endswith("/console/me")
    page.get_by_label("行为").select_option("walk")
    page.get_by_label("数量").fill("2")
    page.wait_for_selector("[data-estimate-points]")
    assert "预计减碳" in page.inner_text("#estimate")
    shoot(page, "staff-log-estimate-phone")
    page.get_by_role("button", name="记录").click()
    page.wait_for_selector("text=已记录")
    activities = client.get("/api/v1/me/activities",
                            headers=make.headers(people.staff)).get_json()["items"]
    assert [(a["type"], a["quantity"]) for a in activities] == [("walk", 2.0)]

    page.get_by_role("button", name=f"兑换 {reward.name}").dblclick()
    page.wait_for_selector("[data-pickup-code]")
    claims = client.get("/api/v1/me/redemptions",
                        headers=make.headers(people.staff)).get_json()["items"]
    assert len(claims) == 1
    assert page.inner_text("[data-pickup-code]") == claims[0]["pickup_code"]
    assert page.is_visible("img.qr")
    assert tab.fits_the_screen()
    shoot(page, "staff-me-phone")


def test_organizer_journey(tabs, people, client, make, clock, shoot):
    tab = tabs()
    page = tab.page
    tab.sign_in("t_organizer")
    assert page.url.endswith(f"/console/orgs/{people.org.id}/campaigns")
    now = clock.now()
    page.get_by_label("名称").fill("绿色出行周")
    page.get_by_label(re.compile("^开始时间")).fill(local_input(now - timedelta(hours=1)))
    page.get_by_label("结束时间").fill(local_input(now + timedelta(days=6)))
    page.get_by_label("积分倍数").fill("2")
    page.get_by_label("减碳目标（千克）").fill("50")
    shoot(page, "organizer-campaigns")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=规则已锁定")
    campaign_id = int(page.url.rsplit("/", 1)[1])
    shown = client.get(f"/api/v1/campaigns/{campaign_id}",
                       headers=make.headers(people.staff)).get_json()
    assert shown["name"] == "绿色出行周"
    assert shown["status"] == "active"
    shoot(page, "organizer-campaign")

    page.locator("#e-name").fill("开放日")  # the open-day form
    page.locator("#e-start").fill(local_input(now - timedelta(minutes=30)))
    page.locator("#e-end").fill(local_input(now + timedelta(hours=4)))
    page.locator("form[action$='/events'] button[type=submit]").click()
    page.wait_for_selector("img.poster-qr")
    shoot(page, "organizer-poster")
    code = re.search(r"code=([A-Z0-9]+)", page.inner_text(".link-text")).group(1)
    assert client.post("/api/v1/checkins", json={"code": code},
                       headers=make.headers(people.staff)).status_code == 201
    page.wait_for_selector("[data-checkins]:text-is('1')")

    page.goto(f"/console/orgs/{people.org.id}/campaigns/{campaign_id}/live")
    assert page.locator("table.standings td", has_text="办公室").count() == 0
    assert client.post("/api/v1/activities", json={"type": "walk", "quantity": 3},
                       headers=make.headers(people.staff)).status_code == 201
    # No reload: the page polls, and the team appears in the standings.
    page.wait_for_selector("table.standings td:text-is('办公室')")
    page.get_by_role("button", name="投屏模式").click()
    assert "projector" in page.get_attribute("body", "class")
    shoot(page, "organizer-live-projector")


def test_coordinator_journey_and_the_public_page(tabs, people, shoot):
    tab = tabs()
    page = tab.page
    tab.sign_in("t_coordinator")
    assert page.url.endswith("/console/region")
    page.wait_for_selector("[data-chart-drawn]")
    assert people.other_org.name in page.inner_text("table")
    shoot(page, "coordinator-region")
    page.get_by_role("link", name="公开预览").click()
    page.wait_for_selector("[data-withheld]")
    shoot(page, "coordinator-disclosure-preview")
    public = tabs(PHONE)
    public.page.goto("/disclosure")
    assert public.page.get_by_role("heading", name=re.compile("信息公开")).is_visible()
    assert public.fits_the_screen()
    shoot(public.page, "public-disclosure-phone")
    public.page.goto("/console/login")
    shoot(public.page, "login-phone")


def test_admin_energy_journey(tabs, people, client, make, clock, shoot):
    """Profile, then a reading typed in 万kWh, then the report and its chart."""
    year = clock.now().astimezone(SHANGHAI).year - 1
    tab = tabs()
    page = tab.page
    tab.sign_in("t_admin")
    page.goto(f"/console/orgs/{people.org.id}/energy?year={year}")
    page.get_by_label("建筑面积（平方米）").fill("2000")
    page.get_by_label("用能人数").fill("100")
    page.locator("#profile").get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    form = page.locator("#reading-form")
    form.get_by_label("能源品种").select_option("electricity")
    form.get_by_label("期间").fill(f"{year}-01")
    form.get_by_label("数量").fill("2")
    form.get_by_label("单位").select_option("万kWh")
    form.get_by_label("费用（元）").fill("16000")
    form.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "2.0 万kWh" in page.locator("#readings").inner_text()
    page.wait_for_selector("#report [data-chart-drawn]")
    report = page.locator("#report").inner_text()
    assert "2.458" in report  # 20,000 kWh x 0.1229 kgce = 2458 kgce
    assert "1.23" in report  # per m2: 2458 / 2000
    shoot(page, "admin-energy")
    page.locator("#readings a[data-reading]").click()  # opens in place (htmx)
    page.wait_for_selector("#reading-panel #reading-panel-body")
    assert "/energy/readings/" not in page.url
    assert "历史版本" in page.locator("#reading-panel").inner_text()
    bearer = {"Authorization": f"Bearer {make.token(people.admin, clock.now())}"}
    (reading,) = client.get(f"/api/v1/orgs/{people.org.id}/energy/readings?year={year}",
                            headers=bearer).get_json()["items"]
    assert (reading["quantity"], reading["unit"], reading["cost_yuan"]) == (2.0, "万kWh",
                                                                            16000.0)
