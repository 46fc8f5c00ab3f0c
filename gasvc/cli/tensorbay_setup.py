"""The tensorbay CLI's `gas config` and its forms of `gas auth` (`-s`, `-u`, asking for the key).

Both work on `~/.gasconfig` (the tensorbay CLI's file, see `gasvc/cli/gasconfig.py`): `config`
keeps its `[config]` section, `auth` its `[profiles]`. Keys are shown masked, as `gas auth -g`
shows them.
"""

from __future__ import annotations

import configparser
import io
import os

import click

from gasvc.cli import connect, gasconfig
from gasvc.cli.context import STRICT_OPTION, config_path
from gasvc.cli.setup import new_profile, profile_option
from gasvc.errors import ConfigError, Unauthorized
from gasvc.workspace.store.layout import write_atomic

SECTION = "config"
#: The options the tensorbay CLI accepts, with a check of the value where it has one.
OPTIONS = {"editor": None, "timeout": "integer", "max_retries": "integer",
           "is_internal": "boolean", STRICT_OPTION: "boolean"}
BOOLEANS = ("true", "false", "0", "1")
INDENT = "    "


def _read() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(config_path(), encoding="utf-8")
    except configparser.Error as error:
        raise ConfigError(f"cannot read {config_path()}: {error.message}",
                          "fix the file by hand") from None
    return parser


def _write(parser: configparser.ConfigParser) -> None:
    text = io.StringIO()
    parser.write(text)
    path = config_path()
    write_atomic(path, text.getvalue().encode())
    path.chmod(0o600)


def editor() -> str | None:
    """The editor `gas config editor NAME` chose, for draft and commit messages."""
    parser = _read()
    return parser.get(SECTION, "editor", fallback=None)


# config ---------------------------------------------------------------------------------
def _check(key: str, value: str, unset: bool) -> None:
    if unset and (value or not key):
        raise click.UsageError("use --unset with a KEY alone: gas config -u KEY")
    if key and key not in OPTIONS:
        raise ConfigError(f'the option "{key}" cannot be configured',
                          f"configure one of: {', '.join(OPTIONS)}")
    kind = OPTIONS.get(key)
    if value and kind == "integer" and not value.isdigit():
        raise ConfigError(f'the option "{key}" needs an integer value', f"e.g. gas config {key} 30")
    if value and kind == "boolean" and value.lower() not in BOOLEANS:
        raise ConfigError(f'the option "{key}" needs True(1) or False(0)',
                          f"e.g. gas config {key} false")


@click.command("config")
@click.argument("key", default="")
@click.argument("value", default="")
@click.option("-u", "--unset", is_flag=True, help="Unset the option KEY.")
def config(key: str, value: str, unset: bool) -> None:
    """Show or set the tensorbay CLI's options in ~/.gasconfig.

    Options: editor (for draft and commit messages), timeout, max_retries, is_internal, and
    gas's commit.strict (gas commit refuses labels that do not fit catalog.json).

    \b
    Example:
      gas config editor vim
      gas config                 # every option
      gas config -u editor
    """
    _check(key, value, unset)
    parser = _read()
    if not parser.has_section(SECTION):
        parser.add_section(SECTION)
    options = parser[SECTION]
    if not key:
        for name, current in options.items():
            click.echo(f"{name} = {current}\n")
    elif value:
        options[key] = value
        _write(parser)
        click.echo(f'Success!\nConfiguration has been written into: "{config_path()}"')
    elif key not in options:
        raise ConfigError(f"{key} has not been configured yet", f"set it: gas config {key} VALUE")
    elif unset:
        del options[key]
        _write(parser)
        click.echo(f'Successfully unset "{key}"')
    else:
        click.echo(f"{key} = {options[key]}\n")


# auth -----------------------------------------------------------------------------------
@click.command("auth")
@profile_option
@click.argument("arg1", default="", metavar="[URL]")
@click.argument("arg2", default="", metavar="[ACCESSKEY]")
@click.option("-g", "--get", is_flag=True, help="Show the profile (key masked).")
@click.option("-s", "--status", is_flag=True, help="Show the user and the profile.")
@click.option("-u", "--unset", is_flag=True, help="Remove the profile.")
@click.option("-a", "--all", "is_all", is_flag=True, help="Every profile.")
def auth(arg1: str, arg2: str, get: bool, status: bool, unset: bool, is_all: bool) -> None:
    """The tensorbay CLI's auth: ask for the access key, or -s / -u a profile.

    \b
    Example:
      gas auth -s
      gas auth                     # asks for the access key of the profile's server
      gas auth -u -a
    """
    if is_all and not (get or status or unset):
        raise click.UsageError('use "--all" with "--get", "--unset" or "--status"')
    if get + status + unset > 1:
        raise click.UsageError('use at most one of "--get", "--unset" and "--status"')
    if (get or status or unset) and (arg1 or arg2):
        raise click.UsageError("these options take no arguments")
    name = connect.chosen_profile() or connect.DEFAULT_PROFILE
    if get or status:
        _show(_profiles(name, is_all), status)
    elif unset:
        _unset(name, is_all)
    else:
        _ask_and_login(name, arg1)


def _profiles(name: str, is_all: bool) -> list[gasconfig.Profile]:
    profiles = gasconfig.read_profiles()
    if is_all:
        return list(profiles.values())
    if name.lower() not in profiles:
        option = "" if name == connect.DEFAULT_PROFILE else f" -p {name}"
        raise gasconfig.UnknownProfile(
            f'profile "{name}" does not exist in {config_path()}',
            f"create it with `gas{option} auth URL ACCESSKEY`")
    return [profiles[name.lower()]]


def _show(profiles: list[gasconfig.Profile], with_user: bool) -> None:
    for profile in profiles:
        lines = [profile.name]
        if with_user:
            lines.append(f"{INDENT}USER: {_user(profile)}")
        lines += [f"{INDENT}{gasconfig.mask(profile.key)}", f"{INDENT}{profile.url}", ""]
        click.echo("\n".join(lines))


def _user(profile: gasconfig.Profile) -> str:
    api = connect.make_client(profile.url, profile.key, connect.tls_for(profile))
    try:
        user = api.get_user()
    except Unauthorized:
        raise Unauthorized(f"{gasconfig.mask(profile.key)} is not a valid access key on "
                           f"{profile.url}", "log in again: gas auth URL ACCESSKEY") from None
    return str(user.get("nickname") or user.get("name") or "?")


def _unset(name: str, is_all: bool) -> None:
    names = list(gasconfig.read_profiles()) if is_all else [name]
    for one in names:
        if not gasconfig.remove_profile(one) and not is_all:
            raise gasconfig.UnknownProfile(f'profile "{one}" does not exist',
                                        "see `gas auth --get --all`")
    which = "all" if is_all else f'"{name}"'
    click.echo(f"Successfully unset {which} auth info")


def _ask_and_login(name: str, url: str) -> None:
    """`gas auth [URL]`: ask for the key, check it and save the profile."""
    url = url or os.environ.get("GAS_URL", "")
    key = click.prompt("Paste your AccessKey here").strip()
    done = gasconfig.login(new_profile(name, (url, key) if url else (key,), False, None))
    where = f' into profile "{name}"' if name != connect.DEFAULT_PROFILE else ""
    click.echo(f'Successfully set authentication info of "{done.user}"{where}')
