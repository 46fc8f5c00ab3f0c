"""Users and the first dataset calls, as the unmodified SDK makes them."""

from __future__ import annotations

from common import other_user_name, site_url, user_name
from tensorbay import GAS
from tensorbay.exception import UnauthorizedError


def get_user_returns_nickname(gas: GAS, gas_other: GAS) -> None:
    assert gas.get_user().name == user_name()
    assert gas_other.get_user().name == other_user_name()


def bad_key_is_unauthorized(gas: GAS, gas_other: GAS) -> None:
    stranger = GAS("Accesskey-" + "0" * 32, site_url())
    try:
        stranger.get_user()
    except UnauthorizedError:
        return
    raise AssertionError("get_user() with an unknown key did not raise UnauthorizedError")


def created_dataset_is_listed(gas: GAS, gas_other: GAS) -> None:
    gas.create_dataset("ds1")
    assert "ds1" in list(gas.list_dataset_names())
