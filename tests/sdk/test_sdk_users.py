"""GetUser and the first dataset calls through the unmodified tensorbay 1.24.2 SDK."""

from __future__ import annotations

from sdkrunner import SdkRunner


def test_get_user_returns_nickname(sdk: SdkRunner) -> None:
    sdk.run("scn_users", "get_user_returns_nickname")


def test_bad_key_is_unauthorized(sdk: SdkRunner) -> None:
    sdk.run("scn_users", "bad_key_is_unauthorized")


def test_created_dataset_is_listed(sdk: SdkRunner) -> None:
    sdk.run("scn_users", "created_dataset_is_listed")
