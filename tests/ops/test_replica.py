"""Reports read from DATABASE_REPLICA_URL when it answers in time, else from the primary."""

from __future__ import annotations

import pytest

from app.replica import ReplicaReader
from tests.conftest import TEST_DATABASE
from tests.ops.conftest import free_port, sample


@pytest.fixture
def use_replica(app, monkeypatch):
    def install(url: str, max_lag_s: float = 30) -> ReplicaReader:
        reader = ReplicaReader(url, max_lag_s)
        monkeypatch.setitem(app.extensions, "replica", reader)
        return reader

    yield install
    reader = app.extensions.get("replica")
    if reader is not None:
        reader.engine.dispose()


@pytest.fixture
def superadmin(make):
    return make.user(None, role="superadmin")


def test_reports_come_from_the_primary_while_the_replica_is_away(client, make, superadmin,
                                                                use_replica):
    use_replica(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    before = sample("lc_replica_fallbacks_total", reason="away")
    make.org(name="北京市报表局")
    first = client.get("/api/v1/reports/region", headers=make.headers(superadmin))
    second = client.get("/api/v1/reports/region", headers=make.headers(superadmin))
    assert (first.status_code, second.status_code) == (200, 200)
    assert [o["name"] for o in first.get_json()["organisations"]] == ["北京市报表局"]
    assert sample("lc_replica_fallbacks_total", reason="away") == before + 2


def test_a_persons_own_data_never_waits_for_the_replica(client, make, use_replica):
    reader = use_replica(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere")
    reader._down_until = float("inf")  # any replica read would count a fallback
    before = sample("lc_replica_fallbacks_total", reason="away")
    org = make.org()
    user = make.user(org, make.team(org))
    assert client.get("/api/v1/me/summary", headers=make.headers(user)).status_code == 200
    assert sample("lc_replica_fallbacks_total", reason="away") == before


@pytest.mark.skipif(TEST_DATABASE != "postgresql", reason="a replica is a PostgreSQL server")
@pytest.mark.commits  # the replica's own connection must see the organisation
def test_reports_read_on_a_replica_that_is_in_time(client, make, superadmin, use_replica,
                                                   database_url):
    use_replica(database_url)  # a primary answers lag 0: in time
    before = sample("lc_replica_reads_total")
    make.org(name="天津市报表局", region="tianjin")
    response = client.get("/api/v1/reports/region?region=tianjin",
                          headers=make.headers(superadmin))
    assert response.status_code == 200
    assert [o["name"] for o in response.get_json()["organisations"]] == ["天津市报表局"]
    assert sample("lc_replica_reads_total") == before + 1


@pytest.mark.skipif(TEST_DATABASE != "postgresql", reason="a replica is a PostgreSQL server")
@pytest.mark.commits  # the replica's own connection must see what the test wrote
@pytest.mark.parametrize("url", ["/api/v1/energy/region?region=tianjin&year=2025",
                                 "/api/v1/public/energy?region=tianjin&year=2025"])
def test_energy_region_and_disclosure_read_on_a_replica_that_is_in_time(
        client, make, superadmin, use_replica, database_url, url):
    use_replica(database_url)
    before = sample("lc_replica_reads_total")
    make.org(name="天津市能耗局", region="tianjin")
    response = client.get(url, headers=make.headers(superadmin))
    assert response.status_code == 200
    assert sample("lc_replica_reads_total") == before + 1


@pytest.mark.skipif(TEST_DATABASE != "postgresql", reason="a replica is a PostgreSQL server")
def test_a_replica_further_behind_than_allowed_is_not_read(client, make, superadmin,
                                                          use_replica, database_url,
                                                          monkeypatch):
    from sqlalchemy import text

    from app import replica

    use_replica(database_url, max_lag_s=30)
    monkeypatch.setattr(replica, "LAG_SQL", text("SELECT 31.0"))
    before = sample("lc_replica_fallbacks_total", reason="lagging")
    response = client.get("/api/v1/reports/region", headers=make.headers(superadmin))
    assert response.status_code == 200
    assert sample("lc_replica_fallbacks_total", reason="lagging") == before + 1
