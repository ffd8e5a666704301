"""The shipped gunicorn.conf.py: settings from the environment, and a real gunicorn serving the probes."""

import http.client
import runpy
import socket
import subprocess
import sys
import time

from tests.console.test_deployment import ROOT, production_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.2,10.0.0.3")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (config["workers"], config["threads"]) == (3, 8)
    assert config["forwarded_allow_ips"] == "10.0.0.2,10.0.0.3"
    assert config["graceful_timeout"] <= config["timeout"]
    assert "%({x-request-id}o)s" in config["access_log_format"]


def test_gunicorn_serves_the_probes_with_the_production_settings(tmp_path):
    port = free_port()
    env = production_env(
        WEB_CONCURRENCY="1", GUNICORN_THREADS="2", GUNICORN_BIND=f"127.0.0.1:{port}", DRAIN_FILE=str(tmp_path / "drain")
    )
    (tmp_path / "drain").touch()  # left by a previous server: a new one starts ready
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "console.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        # Plain HTTP, as a load balancer probes a process: not redirected to HTTPS.
        connection.request("GET", "/healthz", headers={"Host": "console.example", "X-Request-ID": "lb-probe-1"})
        response = connection.getresponse()
        assert response.status == 200, response.read()
        assert response.read() == b'{"status": "ok"}'
        assert response.getheader("X-Request-ID") == "lb-probe-1"
        assert not (tmp_path / "drain").exists()
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    output = (tmp_path / "gunicorn.log").read_text()
    assert 'lb-probe-1 "GET /healthz HTTP/1.1" 200' in output
