"""`gas auth | dataset | remote`, and what `gas init` prints: getting connected to a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gasvc.api.session import ServerUnreachable
from gasvc.cli import connect, gasconfig, render
from gasvc.cli.connect import NoCredentials
from gasvc.cli.context import config_path, workspace
from gasvc.cli.gasconfig import Profile
from gasvc.errors import ClientError
from gasvc.model.tbrn import is_tbrn, parse_tbrn
from gasvc.workspace.sync import datasets
from gasvc.workspace.sync.datasets import DatasetInfo, InitResult
from gasvc.workspace.sync.remote import Remote


class NotConfirmed(ClientError):
    """A destructive command given without --yes."""


def _set_profile(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta["profile"] = value


#: `-p/--profile NAME`, accepted by `gas` itself and by the commands that use credentials.
profile_option = click.option("-p", "--profile", expose_value=False, callback=_set_profile,
                              is_eager=True, help="Use this ~/.gasconfig profile.")


# auth -----------------------------------------------------------------------------------
@click.command("auth")
@profile_option
@click.option("-g", "--get", "get", is_flag=True, help="Show the profile (key masked).")
@click.option("-a", "--all", "show_all", is_flag=True, help="With --get: every profile.")
@click.option("--unset", is_flag=True, help="Remove the profile.")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, resolve_path=True),
              help="Verify the server's TLS certificate with this CA bundle (PEM).")
@click.argument("args", nargs=-1)
def auth(args: tuple[str, ...], get: bool, show_all: bool, unset: bool, insecure: bool,
         ca_bundle: str | None) -> None:
    """Check ACCESSKEY on the server at URL and save both in a ~/.gasconfig profile.

    The file is the tensorbay CLI's; --insecure / --ca-bundle are kept as extra lines of the
    profile. GAS_URL and GAS_ACCESS_KEY, when set, override the profile.

    \b
    Example:
      gas auth https://gas.example.com/ Accesskey-0123456789abcdef0123456789abcdef
      gas -p local auth https://127.0.0.1:8321/ Accesskey-… --ca-bundle cert.pem
      gas auth --get
    """
    name = connect.chosen_profile() or connect.DEFAULT_PROFILE
    if get or unset:
        if args or (get and unset):
            raise click.UsageError("use --get or --unset alone, without arguments")
        if get:
            _show(name, show_all)
        else:
            _unset(name)
        return
    flags = "--insecure" if insecure else f"--ca-bundle {ca_bundle}" if ca_bundle else ""
    done = gasconfig.login(new_profile(name, args, insecure, ca_bundle), flags)
    where = f" into profile {name!r}" if name != connect.DEFAULT_PROFILE else ""
    click.echo(f"Logged in as {done.user} on {done.profile.url}{where} ({done.path})")


def new_profile(name: str, args: tuple[str, ...], insecure: bool, ca_bundle: str | None
                 ) -> Profile:
    urls, keys = [a for a in args if "://" in a], [a for a in args if "://" not in a]
    if len(keys) != 1 or len(urls) > 1:
        raise click.UsageError("give [URL] ACCESSKEY")
    saved = gasconfig.read_profile(name)
    url = urls[0] if urls else (saved.url if saved else "")
    if not url:
        raise NoCredentials("no server URL to log in to", "give it: gas auth URL ACCESSKEY")
    url = connect.normalize_url(url)
    if not insecure and ca_bundle is None and saved is not None and saved.url == url:
        insecure, ca_bundle = saved.insecure, saved.ca_bundle
    return Profile(name, keys[0], url, insecure, ca_bundle or "")


def _unset(name: str) -> None:
    if not gasconfig.remove_profile(name):
        raise gasconfig.UnknownProfile(f"profile {name!r} does not exist",
                                     "see `gas auth --get --all`")
    click.echo(f"Removed profile {name!r} from {config_path()}")


def _show(name: str, show_all: bool) -> None:
    profiles = gasconfig.read_profiles()
    chosen = list(profiles.values()) if show_all else [p for p in [profiles.get(name)] if p]
    if not chosen:
        option = "" if name == connect.DEFAULT_PROFILE else f" -p {name}"
        raise gasconfig.UnknownProfile(f"profile {name!r} does not exist in {config_path()}",
                                     f"create it with `gas{option} auth URL ACCESSKEY`")
    click.echo("\n".join(line for p in chosen for line in _profile_lines(p)))


def _profile_lines(profile: Profile) -> list[str]:
    tls = ("not verified (--insecure)" if profile.insecure
           else f"CA bundle {profile.ca_bundle}" if profile.ca_bundle else "system CAs")
    return [profile.name, f"    URL: {profile.url or '(none)'}",
            f"    key: {gasconfig.mask(profile.key)}", f"    TLS: {tls}"]


# datasets -------------------------------------------------------------------------------
def _dataset_name(text: str) -> str:
    """`NAME` or `tb:NAME`."""
    return parse_tbrn(text).dataset if is_tbrn(text) else text


def _dataset_json(info: DatasetInfo) -> dict[str, Any]:
    return {"id": info.id, "name": info.name, "alias": info.alias, "isPublic": info.public,
            "defaultBranch": info.default_branch, "commitId": info.head,
            "updateTime": info.updated}


@click.group("dataset")
@profile_option
def dataset() -> None:
    """Create, list and delete datasets on the server.

    \b
    Example:
      gas dataset create cats --alias "Cats v2"
      gas dataset list
    """


@dataset.command("create")
@click.option("--alias", default="", help="Display name.")
@click.option("--public", is_flag=True, help="Readable by every user of the server.")
@click.option("--fusion", is_flag=True, help="A fusion dataset (sensors and frames).")
@click.argument("name")
def dataset_create(name: str, alias: str, public: bool, fusion: bool) -> None:
    """Create dataset NAME (a normal dataset, or with --fusion a fusion one; one branch, main).

    \b
    Example:
      gas dataset create cats --alias "Cats v2" --public
    """
    info = datasets.create_dataset(connect.client(), _dataset_name(name), alias, public, fusion)
    click.echo(f"Created dataset {info.name} ({info.id})")


@dataset.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def dataset_list(as_json: bool) -> None:
    """List your datasets, as tb:NAME.

    \b
    Example:
      gas dataset list --json
    """
    found = datasets.list_datasets(connect.client())
    if as_json:
        click.echo(render.as_json([_dataset_json(d) for d in found]))
    for info in [] if as_json else found:
        extra = " (public)" if info.public else ""
        click.echo(f"tb:{info.name}{extra}" + (f"  {info.alias}" if info.alias else ""))


@dataset.command("delete")
@click.option("-y", "--yes", is_flag=True, help="Really delete it, with all its versions.")
@click.argument("name")
def dataset_delete(name: str, yes: bool) -> None:
    """Delete dataset NAME and every version of it (needs --yes).

    \b
    Example:
      gas dataset delete cats --yes
    """
    name = _dataset_name(name)
    if not yes:
        raise NotConfirmed(f"not deleting dataset {name!r} without --yes",
                           f"it deletes every version of it; to go on: gas dataset delete {name} "
                           "--yes")
    info = datasets.delete_dataset(connect.client(), name)
    click.echo(f"Deleted dataset {info.name} ({info.id})")


# remote ---------------------------------------------------------------------------------
@click.group("remote", invoke_without_command=True)
@profile_option
@click.option("-v", "--verbose", is_flag=True, help="Show the URL and the dataset.")
@click.pass_context
def remote(ctx: click.Context, verbose: bool) -> None:
    """Show the server and dataset this workspace pushes to and fetches from.

    \b
    Example:
      gas remote -v
      gas remote set https://gas.example.com/ cats
    """
    if ctx.invoked_subcommand is not None:
        return
    with workspace() as ws:
        current = ws.remote()
    click.echo(_remote_line(current) if verbose else "origin")


def _remote_line(current: Remote) -> str:
    ident = f", id {current.dataset_id}" if current.dataset_id else ""
    return f"origin\t{current.url}\t(dataset {current.dataset}{ident})"


@remote.command("set")
@click.argument("url")
@click.argument("dataset_name", metavar="[DATASET]", required=False)
def remote_set(url: str, dataset_name: str | None) -> None:
    """Point this workspace at DATASET (default: its current one) on the server at URL.

    The dataset's id is looked up on the server when it can be reached.

    \b
    Example:
      gas remote set https://gas.example.com/ cats
    """
    with workspace() as ws:
        name = _dataset_name(dataset_name or ws.dataset() or "")
        if not name:
            raise click.UsageError("give the DATASET")
        new, reached = _locate(connect.normalize_url(url), name)
        ws.set_remote(new)
    if not reached:
        click.echo(f"warning: could not reach {new.url}; the dataset will be looked up on "
                   "first use", err=True)
    click.echo(_remote_line(new))


def _locate(url: str, name: str) -> tuple[Remote, bool]:
    try:
        return datasets.locate_remote(connect.client(url), name), True
    except (ServerUnreachable, NoCredentials):
        return Remote(url, name, ""), False


# init (the command lives in work.py) ------------------------------------------------------
def init_workspace(root: Path, dataset: str | None, no_remote: bool, fusion: bool = False
                   ) -> InitResult:
    """`gas init`: offline, or on the server of the credentials (creating the dataset)."""
    try:
        client = None if no_remote else connect.client()
    except NoCredentials as error:
        raise NoCredentials(error.message,
                            f"{error.hint}; or work offline with `gas init --no-remote`") from None
    return datasets.init_workspace(root, dataset or root.name, client, fusion)


def init_lines(result: InitResult) -> list[str]:
    kind = "fusion " if result.fusion else ""
    lines = [f"Initialized empty gas {kind}workspace in {result.layout.gas}"]
    if result.remote is None:
        return [*lines, f"dataset {result.dataset} (offline; connect it with "
                        f"`gas remote set URL {result.dataset}`)"]
    verb = "Created" if result.created else "Using existing"
    lines.append(f"{verb} dataset {result.dataset} on {result.remote.url}")
    if result.has_commits:
        lines.append("It already has commits: run `gas pull` to get them.")
    return lines
