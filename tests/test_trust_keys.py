"""A key is only ever sent to the server it was saved for: a workspace whose remote URL points to
another server (here a listener that records X-Token headers) never receives the default
profile's key, whatever the command; URLs are compared normalised.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from gascli import Gas, failed
from httpuser import user_fixtures
from serverproc import ServerProcess

from gasvc.cli.connect import WrongServer, pick_profile, same_server
from gasvc.cli.gasconfig import Profile


class Listener:
    """An HTTP server on a free port that records every X-Token it is sent and answers 401."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        tokens = self.tokens

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                tokens.append(self.headers.get("X-Token", ""))
                body = json.dumps({"code": "Unauthorized", "message": "who are you"}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


key, gas, api = user_fixtures("keys")


def workspace_on(gas: Gas, url: str, root: Path) -> Path:
    """A workspace whose remote is `url` (set while no key was saved for it)."""
    gas(root, "init", "--no-remote", "elsewhere")
    gas(root, "remote", "set", url, "elsewhere")
    assert url in gas(root, "remote", "-v").stdout
    return root


def test_the_default_key_never_goes_to_another_server(
        gas: Gas, key: str, listener: Listener, tmp_path: Path) -> None:
    ws = workspace_on(gas, listener.url, tmp_path / "ws")
    for command in (("fetch",), ("pull",), ("push",), ("tag",), ("draft", "list")):
        result = gas(ws, *command, check=False)
        failed(result, f"no access key configured for {listener.url}")
        assert f"gas auth {listener.url} ACCESSKEY" in result.stderr
    assert key not in listener.tokens
    assert listener.tokens == []


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_named_profile_saved_for_another_server_is_refused(
        gas: Gas, key: str, http_server: ServerProcess, listener: Listener, tmp_path: Path,
        how: str) -> None:
    ws = workspace_on(gas, listener.url, tmp_path / "ws")
    if how == "option":
        result = gas(ws, "-p", "default", "fetch", check=False)
    else:
        result = gas(ws, "fetch", check=False, GAS_PROFILE="default")
    failed(result, f"profile 'default' holds a key for {http_server.url}, not for "
                   f"{listener.url}")
    assert listener.tokens == []


def test_an_explicit_access_key_is_sent_as_asked(
        gas: Gas, key: str, listener: Listener, tmp_path: Path) -> None:
    ws = workspace_on(gas, listener.url, tmp_path / "ws")
    gas(ws, "fetch", check=False, GAS_ACCESS_KEY="Accesskey-" + "e" * 32)
    assert listener.tokens and set(listener.tokens) == {"Accesskey-" + "e" * 32}


def test_the_profile_saved_for_the_remote_gives_the_key_however_the_url_is_written(
        gas: Gas, key: str, http_server: ServerProcess, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    gas(ws, "init", "keys-ds")
    written = http_server.url.rstrip("/").replace("http://", "HTTP://")
    gas(ws, "remote", "set", written, "keys-ds")
    assert gas(ws, "fetch").returncode == 0


def test_urls_are_compared_normalised() -> None:
    assert same_server("https://Gas.Example.com:443/", "https://gas.example.com")
    assert same_server("http://h:80", "HTTP://H/")
    assert not same_server("https://h/", "http://h/")
    assert not same_server("https://h:8443/", "https://h/")
    assert not same_server("https://h/a/", "https://h/b/")
    assert not same_server("", "https://h/")


def test_a_url_less_profile_is_for_the_tensorbay_cloud_only() -> None:
    cloud = Profile("default", "Accesskey-" + "0" * 32)
    mine = Profile("mine", "Accesskey-" + "1" * 32, "https://gas.mine.example/")
    profiles = {"default": cloud, "mine": mine}
    assert pick_profile(profiles, "https://gas.graviti.cn/", None) is cloud
    assert pick_profile(profiles, "https://GAS.mine.example", None) is mine
    assert pick_profile(profiles, "https://other.example/", None) is None
    assert pick_profile(profiles, None, None) is cloud
    with pytest.raises(WrongServer, match=re.escape("holds a key for https://gas.graviti.cn/")):
        pick_profile(profiles, "https://other.example/", "default")
    with pytest.raises(WrongServer, match=re.escape("not for https://gas.graviti.cn/")):
        pick_profile(profiles, "https://gas.graviti.cn/", "mine")
