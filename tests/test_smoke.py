def test_healthz_answers_ok(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
