"""Module-scoped fixtures of one user on the module's plain-HTTP server (`http_server`):
`key, gas, api = user_fixtures("alice")` at a test module's top gives it `key` (the user's
access key), `gas` (a `Gas` runner logged in with it) and `api` (a `RawApi` with it)."""

from __future__ import annotations

from typing import Any

import pytest
from gascli import Gas
from rawapi import RawApi
from serverproc import ServerProcess


def user_fixtures(name: str) -> tuple[Any, Any, Any]:
    @pytest.fixture(scope="module")
    def key(http_server: ServerProcess) -> str:
        return http_server.add_user(name)

    @pytest.fixture(scope="module")
    def gas(http_server: ServerProcess, key: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Gas:
        runner = Gas(tmp_path_factory.mktemp("home"))
        runner.login(http_server, key)
        return runner

    @pytest.fixture(scope="module")
    def api(http_server: ServerProcess, key: str) -> RawApi:
        return RawApi(http_server.api, key, http_server.verify)

    return key, gas, api
