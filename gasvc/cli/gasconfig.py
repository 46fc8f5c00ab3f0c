"""The `~/.gasconfig` that keeps the CLI's servers and access keys: its profiles, and logging in
(a key checked with its server, then saved). connect.py loads this module only when there is a
file to read; `gas auth` and the tensorbay CLI's `config` read and write it.

`~/.gasconfig` (path overridable by `GAS_CONFIG`) is the tensorbay CLI's INI file (spec 6.1). A
profile's value is a newline, the access key, then optionally the URL; gasvc keeps TLS settings
as further `name = value` lines, which the tensorbay CLI ignores (it reads two lines only):

    [profiles]
    default =
        Accesskey-0123456789abcdef0123456789abcdef
        https://gas.example.internal/
        ca_bundle = /etc/ssl/private-ca.pem

Other profiles and sections are kept as they are, and no section is added: the tensorbay CLI
rewrites a file whose sections are not just `[config]` and `[profiles]`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gasvc.cli.connect import DEFAULT_PROFILE, Tls, check_access_key, make_client, tls_for
from gasvc.cli.context import config_path
from gasvc.errors import ClientError, ConfigError, Unauthorized
from gasvc.workspace.store.layout import write_atomic

if TYPE_CHECKING:
    import configparser

SECTION = "profiles"


class UnknownProfile(ClientError):
    """A profile of ~/.gasconfig that does not exist."""


@dataclass(frozen=True)
class Profile:
    name: str
    key: str
    url: str = ""
    insecure: bool = False
    ca_bundle: str = ""

    @property
    def verify(self) -> bool | str:
        """What `requests` takes as `verify=`."""
        return False if self.insecure else (self.ca_bundle or True)


def _parser(path: Path) -> configparser.ConfigParser:
    import configparser  # here: a command that reads no ~/.gasconfig does not load it

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise ConfigError(f"cannot read {path}: {error.message}",
                          "fix the file by hand, or delete it and run `gas auth` again") from None
    return parser


def parse_profile(name: str, value: str) -> Profile | None:
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if not lines:
        return None
    url = lines[1] if len(lines) > 1 and "=" not in lines[1] else ""
    settings = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    options = {k.strip(): v.strip() for k, v in settings.items()}
    insecure = options.get("insecure", "").lower() in ("1", "true", "yes")
    return Profile(name, lines[0], url, insecure, options.get("ca_bundle", ""))


def format_profile(profile: Profile) -> str:
    lines = ["", profile.key, *([profile.url] if profile.url else [])]
    if profile.url and profile.insecure:
        lines.append("insecure = true")
    if profile.url and profile.ca_bundle:
        lines.append(f"ca_bundle = {profile.ca_bundle}")
    return "\n".join(lines)


def read_profiles(path: Path | None = None) -> dict[str, Profile]:
    path = path or config_path()
    if not path.is_file():  # no profiles (ConfigParser reads a missing file as empty)
        return {}
    parser = _parser(path)
    if not parser.has_section(SECTION):
        return {}
    found = (parse_profile(name, value) for name, value in parser.items(SECTION))
    return {profile.name: profile for profile in found if profile is not None}


def read_profile(name: str = DEFAULT_PROFILE) -> Profile | None:
    return read_profiles().get(name.lower())


def _write(parser: configparser.ConfigParser, path: Path) -> None:
    text = io.StringIO()
    parser.write(text)
    write_atomic(path, text.getvalue().encode())
    path.chmod(0o600)


def save_profile(profile: Profile) -> Path:
    """Add or replace one profile, keeping every other profile and section."""
    path = config_path()
    parser = _parser(path)
    if not parser.has_section(SECTION):
        parser.add_section(SECTION)
    parser.set(SECTION, profile.name, format_profile(profile))
    _write(parser, path)
    return path


def remove_profile(name: str) -> bool:
    path = config_path()
    parser = _parser(path)
    if not parser.has_section(SECTION) or not parser.remove_option(SECTION, name):
        return False
    _write(parser, path)
    return True


# logging in -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Login:
    profile: Profile
    user: str
    path: Path


def login(profile: Profile, flags: str = "") -> Login:
    """Check the profile's key with GetUser, then save it in `~/.gasconfig`. `flags` names the
    command's TLS flags that made the profile's TLS line, for errors."""
    check_access_key(profile.key, "the command line")
    tls = tls_for(profile)
    api = make_client(profile.url, profile.key, Tls(tls.verify, flags or tls.source))
    try:
        user = api.get_user()
    except Unauthorized:
        raise Unauthorized(f"{mask(profile.key)} is not a valid access key on {profile.url}",
                           "check the key (a server admin makes one with "
                           "`gas server add-user NAME`)") from None
    return Login(profile, str(user.get("nickname") or user.get("name") or "?"),
                 save_profile(profile))


def mask(key: str) -> str:
    """An access key shown without its secret part: `Accesskey-0123…cdef`."""
    return key[:14] + "…" + key[-4:] if len(key) > 20 else "…" + key[-2:]
