"""TLS settings that do what they say: a flag or a profile line beats the environment, errors
name the setting in use, and the wrong scheme or a malformed key get messages that say so."""

from __future__ import annotations

from pathlib import Path

import pytest
from gascli import Gas, failed
from serverproc import ServerProcess

SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt"  # does not hold the test server's CA


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


def test_flags_and_profile_lines_beat_requests_ca_bundle(gas: Gas, server: ServerProcess,
                                                         alice: str, tmp_path: Path) -> None:
    env = {"REQUESTS_CA_BUNDLE": SYSTEM_CAS}
    done = gas(tmp_path, "auth", server.url, alice, "--ca-bundle", str(server.verify), **env)
    assert "Logged in as alice" in done.stdout
    gas(tmp_path, "dataset", "create", "cats", **env)
    assert "cats" in gas(tmp_path, "dataset", "list", **env).stdout
    done = gas(tmp_path, "-p", "loose", "auth", server.url, alice, "--insecure", **env)
    assert "Logged in as alice" in done.stdout
    assert "cats" in gas(tmp_path, "-p", "loose", "dataset", "list", **env).stdout


def test_the_error_names_the_setting_used(gas: Gas, server: ServerProcess, alice: str,
                                          tmp_path: Path) -> None:
    result = gas(tmp_path, "auth", server.url, alice, check=False,
                 REQUESTS_CA_BUNDLE=SYSTEM_CAS)
    failed(result, f"cannot verify the TLS certificate of {server.url}")
    assert f"REQUESTS_CA_BUNDLE={SYSTEM_CAS}" in result.stderr
    result = gas(tmp_path, "auth", server.url, alice, check=False)
    failed(result, "cannot verify the TLS certificate")
    assert "the system's CA certificates" in result.stderr
    result = gas(tmp_path, "auth", server.url, alice, "--ca-bundle", SYSTEM_CAS, check=False,
                 REQUESTS_CA_BUNDLE=str(server.verify))
    failed(result, f"--ca-bundle {SYSTEM_CAS}")


def test_http_to_an_https_server_says_so(gas: Gas, server: ServerProcess, alice: str,
                                         tmp_path: Path) -> None:
    plain = server.url.replace("https://", "http://")
    result = gas(tmp_path, "auth", plain, alice, check=False)
    failed(result, f"the server at {plain} speaks https")
    assert f"use {server.url}" in result.stderr


def test_https_to_an_http_server_says_so(gas: Gas, http_server: ServerProcess,
                                         tmp_path: Path) -> None:
    key = http_server.add_user("carol")
    secure = http_server.url.replace("http://", "https://")
    result = gas(tmp_path, "auth", secure, key, check=False)
    failed(result, f"the server at {secure} does not speak https")
    assert f"use {http_server.url}" in result.stderr


@pytest.mark.parametrize("key", ["nonsense", "Accesskey-", "Accesskey-12\u00e9", "ak-" + "0" * 32])
def test_a_malformed_key_is_refused_plainly(gas: Gas, server: ServerProcess, key: str,
                                            tmp_path: Path) -> None:
    result = gas(tmp_path, "auth", server.url, key, "--ca-bundle", str(server.verify),
                 check=False)
    failed(result, "is not an access key")
    assert "Accesskey-" in result.stderr
    assert not gas.config.exists() or key not in gas.config.read_text()



def test_a_tls_failure_is_not_retried() -> None:
    """A server that answers a TLS hello with plain HTTP will not speak TLS on a second try:
    the client connects once and says so at once (it used to retry four times)."""
    import socket
    import threading

    from gasvc.api.client import ApiClient
    from gasvc.api.session import WrongScheme

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    connections = []
    done = threading.Event()

    def answer_in_plain_http() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(conn)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            conn.close()

    thread = threading.Thread(target=answer_in_plain_http, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    client = ApiClient(f"https://127.0.0.1:{port}/", "Accesskey-" + "0" * 32)
    try:
        with pytest.raises(WrongScheme):
            client.get_user()
    finally:
        done.set()
        client.close()
        thread.join(5)
        listener.close()
    assert len(connections) == 1
