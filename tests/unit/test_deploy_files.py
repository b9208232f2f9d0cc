"""The HAProxy configurations (deploy example, cluster's own) are valid for haproxy -c."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.cluster import Balancer

REPO = Path(__file__).resolve().parents[2]
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy"
                                      if Path("/usr/sbin/haproxy").exists() else None)
needs_haproxy = pytest.mark.skipif(HAPROXY is None, reason="haproxy not installed")


def haproxy_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True)


@needs_haproxy
def test_the_deploy_example_is_valid(tmp_path):
    text = (REPO / "deploy" / "haproxy.cfg").read_text()
    # The example's certificate and syslog socket do not exist here; everything else must parse.
    text = "".join(line for line in text.splitlines(keepends=True) if "ssl crt" not in line)
    path = tmp_path / "haproxy.cfg"
    path.write_text(text.replace("log /dev/log local0", "log stdout format raw local0"))
    done = haproxy_check(path)
    assert done.returncode == 0, done.stderr


@needs_haproxy
def test_the_cluster_balancer_config_is_valid(tmp_path):
    path = tmp_path / "cluster.cfg"
    path.write_text(Balancer(tmp_path, [18001, 18002], port=18000).config())
    done = haproxy_check(path)
    assert done.returncode == 0, done.stderr


def test_both_check_readiness_and_refuse_metrics():
    example = (REPO / "deploy" / "haproxy.cfg").read_text()
    cluster = Balancer(Path("/tmp"), [1, 2], port=3).config()
    for text in (example, cluster):
        assert "option httpchk GET /readyz" in text
        assert "http-request deny deny_status 403 if { path_beg /metrics }" in text
        assert "option forwardfor" in text
        assert "use_backend live_nodes if { nbsrv(nodes) eq 0 }" in text
