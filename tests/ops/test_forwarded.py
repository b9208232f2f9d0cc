"""Behind a balancer (FORWARDED_FOR_HOPS=1): limits per client, /metrics by the real peer."""

from __future__ import annotations


def test_per_address_limits_count_the_client_not_the_balancer(behind_balancer, clock):
    from reports.routes import DISCLOSURE_REQUESTS_PER_WINDOW

    clock.freeze()  # limits count in windows of the clock: stopped, none is straddled

    client = behind_balancer.test_client()

    def disclosure(client_address: str):
        return client.get("/api/v1/public/disclosure",
                          headers={"X-Forwarded-For": client_address},
                          environ_base={"REMOTE_ADDR": "10.0.0.2"})  # the balancer

    statuses = [disclosure("198.51.100.7").status_code
                for _ in range(DISCLOSURE_REQUESTS_PER_WINDOW + 1)]
    assert statuses.count(200) == DISCLOSURE_REQUESTS_PER_WINDOW
    assert statuses[-1] == 429
    assert disclosure("198.51.100.8").status_code == 200  # another person behind it


def test_a_forwarded_header_cannot_open_the_metrics(behind_balancer):
    client = behind_balancer.test_client()
    spoofed = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"},
                         environ_base={"REMOTE_ADDR": "203.0.113.9"})
    scraper = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"},
                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert spoofed.status_code == 403
    assert scraper.status_code == 200
