"""The Open API client against a real HTTPS server: TLS settings and error mapping."""

from __future__ import annotations

from contextlib import closing

import certifi
import pytest
from serverproc import ServerProcess

from gasvc.api.client import ApiClient
from gasvc.errors import ResourceNotExist, Unauthorized


def test_explicit_ca_bundle_beats_requests_ca_bundle(server: ServerProcess, alice: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # a bundle without our CA
    with closing(ApiClient(server.url, alice, verify=str(server.verify))) as client:
        assert client.get_user()["nickname"] == "alice"


def test_errors_map_to_gas_errors_with_hints(server: ServerProcess, alice: str) -> None:
    with closing(ApiClient(server.url, "Accesskey-" + "0" * 32, verify=str(server.verify))
                 ) as stranger:
        with pytest.raises(Unauthorized) as bad_key:
            stranger.get_user()
        hint = bad_key.value.hint
        del bad_key  # its traceback keeps the connection's pool alive, so the connection open
    assert "gas auth" in hint
    with closing(ApiClient(server.url, alice, verify=str(server.verify))) as client, \
            pytest.raises(ResourceNotExist):
        client.get_dataset("nope")
