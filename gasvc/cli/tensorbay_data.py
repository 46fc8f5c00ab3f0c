"""The tensorbay CLI's `gas ls | cp | rm | dataset`, on the server (no workspace needed).

Arguments, options and output are the tensorbay CLI's (tensorbay/cli/ls.py, cp.py, rm.py,
dataset.py); errors are gas's: a message and a hint.
"""

from __future__ import annotations

from pathlib import Path

import click

from gasvc.api.client import ApiClient
from gasvc.cli import connect
from gasvc.cli.setup import profile_option
from gasvc.errors import InvalidParams
from gasvc.model.tbrn import TBRN, parse_tbrn
from gasvc.workspace.sync import datasets, remote_ops


def parse_dataset_tbrn(text: str, what: str) -> TBRN:
    """A TBRN that names a dataset (maybe at a version), not a segment or file."""
    tbrn = parse_tbrn(text)
    if tbrn.segment is not None:
        raise InvalidParams(f"{text!r} is not a dataset; {what} takes tb:DATASET",
                            f"write tb:{tbrn.dataset}")
    return tbrn


def _data_tbrns(tbrn: TBRN, segment: str, paths: list[str]) -> list[str]:
    return [str(TBRN(tbrn.dataset, tbrn.revision, tbrn.draft, segment, path)) for path in paths]


def _with_total(lines: list[str], total: int, show_total: bool) -> list[str]:
    return [f"total {total}", *lines] if show_total else lines


# ls -------------------------------------------------------------------------------------
@click.command("ls")
@profile_option
@click.argument("tbrn", default="")
@click.option("-a", "--all", "list_all_files", is_flag=True,
              help="List all files under the segment.")
@click.option("-l", "show_total_num", is_flag=True, help="Show the total number of resources.")
def ls(tbrn: str, list_all_files: bool, show_total_num: bool) -> None:
    """List datasets, a dataset's segments or a segment's files on the server.

    \b
    Example:
      gas ls tb:cats
      gas ls                         # every dataset
      gas ls -a -l tb:cats#1         # every file of every segment of draft 1, with a total
      gas ls tb:cats@v1:train        # the files of segment train at tag v1
    """
    client = connect.client()
    if not tbrn:
        names = remote_ops.dataset_names(client)
        lines = _with_total([f"tb:{name}" for name in names], len(names), show_total_num)
    else:
        lines = _ls(client, parse_tbrn(tbrn), list_all_files, show_total_num)
    if lines:
        click.echo("\n".join(lines))


def _ls(client: ApiClient, tbrn: TBRN, list_all_files: bool, show_total: bool
        ) -> list[str]:
    version = remote_ops.open_version(client, tbrn)
    if tbrn.segment is None:
        segments = remote_ops.segment_names(client, version)
        if not list_all_files:
            return _with_total([f"tb:{tbrn.dataset}:{s}" for s in segments], len(segments),
                               show_total)
        lines = [line for s in segments for line in _data_tbrns(
            tbrn, s, remote_ops.data_paths(client, version, s))]
        return _with_total(lines, len(lines), show_total)
    if tbrn.path is None:
        paths = remote_ops.data_paths(client, version, tbrn.segment)
        return _with_total(_data_tbrns(tbrn, tbrn.segment, paths), len(paths),
                           show_total)
    remote_ops.require_data(client, version, tbrn.segment, tbrn.path)
    return [str(tbrn)]


# cp -------------------------------------------------------------------------------------
@click.command("cp")
@profile_option
@click.argument("local_paths", nargs=-1)
@click.argument("tbrn", nargs=1)
@click.option("-r", "--recursive", "is_recursive", is_flag=True,
              help="Copy directories recursively.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1,
              help="The number of threads.")
@click.option("-s", "--skip", "skip_uploaded_files", is_flag=True,
              help="Skip files whose remote path is already in the segment.")
def cp(local_paths: tuple[str, ...], tbrn: str, is_recursive: bool, jobs: int,
       skip_uploaded_files: bool) -> None:
    """Upload local files into a segment of a draft on the server.

    A single file goes to the remote path given after `://` (unless it ends with `/`); other
    files keep their names, and folders (with -r) their names and inside paths, under it.

    \b
    Example:
      gas cp -r images tb:cats#1:train
      gas cp a.jpg tb:cats#1:train://images/a.jpg
      gas cp -r -j 8 --skip images tb:cats#1:train
    """
    target = parse_tbrn(tbrn)
    if target.segment is None:
        raise InvalidParams(f'"{tbrn}" is not a segment or file',
                            f"copy into a segment of a draft: tb:{target.dataset}#N:SEGMENT")
    client = connect.client()
    version = remote_ops.open_version(client, target)
    remote_ops.require_draft(version, tbrn)
    copies = remote_ops.plan_copies([Path(p).absolute() for p in local_paths],
                                    target.path or "", is_recursive)
    if skip_uploaded_files:
        present = remote_ops.existing_paths(client, version, target.segment)
        copies = [c for c in copies if c.remote_path not in present]
    count = remote_ops.upload(client, version, target.segment, copies, jobs)
    click.echo(f"Uploaded {count} file{'s' if count != 1 else ''} to "
               f"{TBRN(target.dataset, draft=target.draft, segment=target.segment)}", err=True)


# rm -------------------------------------------------------------------------------------
@click.command("rm")
@profile_option
@click.argument("tbrn")
@click.option("-r", "--recursive", "is_recursive", is_flag=True,
              help="Remove a whole segment.")
def rm(tbrn: str, is_recursive: bool) -> None:
    """Remove a file or (with -r) a segment from a draft on the server (tensorbay's rm).

    \b
    Example:
      gas rm tb:cats#1:train://images/a.jpg
      gas rm -r tb:cats#1:train
    """
    target = parse_tbrn(tbrn)
    if target.segment is None:
        raise InvalidParams(f'"{tbrn}" is an invalid path to remove',
                            f"name a segment or file of a draft: tb:{target.dataset}#N:SEGMENT"
                            "[://PATH]")
    client = connect.client()
    version = remote_ops.open_version(client, target)
    draft = remote_ops.require_draft(version, tbrn)
    if target.path is None:
        if not is_recursive:
            raise InvalidParams(f'"{tbrn}" is a whole segment',
                                f"remove the segment with -r: gas rm -r {tbrn}")
        remote_ops.data_paths(client, version, target.segment)  # an error if it does not exist
        client.delete_segment(version.id, draft, target.segment)
    else:
        remote_ops.require_data(client, version, target.segment, target.path)
        client.delete_data(version.id, draft, target.segment, target.path)
    click.echo(f'Successfully deleted "{target}"')


# dataset --------------------------------------------------------------------------------
@click.command("dataset")
@profile_option
@click.argument("tbrn", default="")
@click.option("-d", "--delete", "is_delete", is_flag=True, help="Delete the dataset.")
@click.option("-y", "--yes", is_flag=True, help="Delete without asking.")
def dataset(tbrn: str, is_delete: bool, yes: bool) -> None:
    """List datasets, create tb:NAME, or delete it with -d (tensorbay's dataset).

    \b
    Example:
      gas dataset tb:cats
      gas dataset
      gas dataset -d -y tb:cats
    """
    client = connect.client()
    if not tbrn:
        if is_delete:
            raise click.UsageError("give the dataset to delete: gas dataset -d tb:NAME")
        names = remote_ops.dataset_names(client)
        if names:
            click.echo("\n".join(f"tb:{name}" for name in names))
        return
    name = parse_dataset_tbrn(tbrn, "dataset").dataset
    if is_delete:
        if not yes:
            click.confirm(f'Dataset "tb:{name}" will be completely deleted.\n'
                          "Do you want to continue?", abort=True)
        datasets.delete_dataset(client, name)
        click.echo(f'Successfully deleted dataset "tb:{name}"')
        return
    datasets.create_dataset(client, name)
    click.echo(f'Successfully created dataset "tb:{name}"')
