"""`gas server …`: run the self-hosted Open API server and manage its users."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import click

from gasvc.errors import ConfigError
from gasvc.server.settings import ServerSettings


def stores(command: Callable[..., None]) -> Callable[..., None]:
    """The options that say where the server keeps its data (every server command takes them)."""
    for option in reversed([
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Folder holding the metadata database and the blobs (created if "
                          "needed): the embedded server."),
        click.option("--database", envvar="GAS_SERVER_DATABASE", metavar="URL",
                     help="postgresql://USER:PASSWORD@HOST/DB: metadata in PostgreSQL, shared "
                          "by several instances (instead of the data dir's SQLite file). "
                          "[env GAS_SERVER_DATABASE]"),
        click.option("--blobs", envvar="GAS_SERVER_BLOBS", metavar="s3://BUCKET/PREFIX",
                     help="Files in an S3-compatible bucket (endpoint and keys from "
                          "AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                          "AWS_REGION) instead of the data dir. [env GAS_SERVER_BLOBS]"),
    ]):
        command = option(command)
    return command


def check_stores(data_dir: Path | None, database: str | None, blobs: str | None) -> None:
    if data_dir is None and (database is None or blobs is None):
        raise ConfigError("where the server keeps its data is not given",
                          "give --data-dir, or both --database and --blobs")
    if database is not None and not database.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"--database must be a postgresql:// URL, not {database!r}",
                          "e.g. postgresql://gas:secret@db.example/gas; leave it out to keep "
                          "the metadata in --data-dir")
    if blobs is not None and not blobs.startswith("s3://"):
        raise ConfigError(f"--blobs must be an s3:// URL, not {blobs!r}",
                          "e.g. s3://my-bucket/gas; leave it out to keep files in --data-dir")


@click.group()
def server() -> None:
    """Run a self-hosted TensorBay Open API v1 server.

    \b
    Example:
      gas server add-user alice --data-dir ./gas-data
      gas server start --data-dir ./gas-data --certfile cert.pem --keyfile key.pem
      gas server start --database postgresql://gas@db/gas --blobs s3://bucket/gas
    """


@server.command("add-user")
@click.argument("name")
@stores
@click.option("--email", default="", help="The user's e-mail address.")
def add_user(name: str, data_dir: Path | None, database: str | None, blobs: str | None,
             email: str) -> None:
    """Create user NAME (if new) and print a new access key for it.

    \b
    Example:
      gas server add-user alice --data-dir ./gas-data
    """
    from gasvc.server.app import open_engine

    check_stores(data_dir, database, blobs)
    engine = open_engine(ServerSettings(data_dir=data_dir, database=database, blobs=blobs))
    try:
        click.echo(engine.datasets.add_user(name, email))
    finally:
        engine.ctx.meta.close()


@server.command()
@stores
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8321, show_default=True, type=int, help="Port to listen on.")
@click.option("--certfile", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="TLS certificate (PEM); serves HTTPS together with --keyfile.")
@click.option("--keyfile", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="TLS private key (PEM).")
@click.option("--public-url", help="URL clients reach this server at (behind a proxy).")
@click.option("--no-batch-extension", "no_batch", is_flag=True,
              help="Serve only the standard per-file upload and download flow.")
@click.option("--max-upload-bytes", type=click.IntRange(min=1),
              default=ServerSettings.max_upload_bytes, show_default=True,
              help="Bytes one upload request may carry (a file, or a batch's files together); "
                   "larger ones are refused with 413 and nothing of them is kept.")
@click.option("--upload-tmp-max-age", type=click.FloatRange(min=1),
              default=ServerSettings.upload_tmp_max_age, show_default=True,
              help="Seconds after which temporary files of killed or abandoned uploads are "
                   "removed (checked every quarter of it, at most every 5 minutes).")
@click.option("--no-jobs", is_flag=True,
              help="Run no job worker in this instance (it still takes job requests; other "
                   "instances on the same database run the jobs).")
@click.option("--job-lease", type=click.FloatRange(min=1), default=ServerSettings.job_lease,
              show_default=True,
              help="Seconds after which a job whose server died is run again by another one.")
def start(data_dir: Path | None, database: str | None, blobs: str | None, host: str, port: int,
          certfile: Path | None, keyfile: Path | None,
          public_url: str | None, no_batch: bool, max_upload_bytes: int,
          upload_tmp_max_age: float, no_jobs: bool, job_lease: float) -> None:
    """Serve the Open API at http(s)://HOST:PORT/gatewayv2/tensorbay-open-api/v1/.

    \b
    Example:
      gas server start --data-dir ./gas-data --port 8443 --certfile c.pem --keyfile k.pem
    """
    import uvicorn

    from gasvc.server.app import create_app

    check_stores(data_dir, database, blobs)
    if (certfile is None) != (keyfile is None):
        raise ConfigError("--certfile and --keyfile go together", "give both to serve HTTPS")
    settings = ServerSettings(data_dir=data_dir, database=database, blobs=blobs, host=host,
                              port=port, certfile=certfile, keyfile=keyfile, public_url=public_url,
                              batch_extension=not no_batch, max_upload_bytes=max_upload_bytes,
                              upload_tmp_max_age=upload_tmp_max_age, job_worker=not no_jobs,
                              job_lease=job_lease)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(settings)
    scheme = "https" if certfile else "http"
    where = f"data in {data_dir}" if database is None and blobs is None else (
        f"metadata in {_safe(settings.meta_location)}, files in {settings.blob_location}")
    click.echo(f"gas server: {scheme}://{host}:{port}/ {where}", err=True)
    uvicorn.run(app, host=host, port=port, ssl_certfile=certfile, ssl_keyfile=keyfile,
                log_level="info", access_log=True, timeout_graceful_shutdown=5,
                http=http_parser())


def http_parser() -> str:
    """uvicorn's C parser (httptools) when installed: h11, in pure Python, made the event loop
    the bottleneck of large uploads (docs/performance.md, rows 4, 5, 9)."""
    import importlib.util

    return "httptools" if importlib.util.find_spec("httptools") else "h11"


@server.command()
@click.option("--from-data-dir", "source", required=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The embedded server's data dir to move (stop that server first).")
@click.option("--database", envvar="GAS_SERVER_DATABASE", required=True, metavar="URL",
              help="postgresql://… to move the metadata to. [env GAS_SERVER_DATABASE]")
@click.option("--blobs", envvar="GAS_SERVER_BLOBS", required=True, metavar="s3://BUCKET/PREFIX",
              help="The bucket to move the files to (AWS_* variables as for start). "
                   "[env GAS_SERVER_BLOBS]")
@click.option("--jobs", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Files copied at once.")
def migrate(source: Path, database: str, blobs: str, jobs: int) -> None:
    """Move an embedded server's data to PostgreSQL and S3, then verify it.

    Files are copied first (each checked against its SHA-1), then every table; at the end row
    counts and checksums of every table, and every file's size, are compared. Stopped part way,
    it resumes where it was when run again.

    \b
    Example:
      gas server migrate --from-data-dir ./gas-data \\
          --database postgresql://gas@db/gas --blobs s3://bucket/gas
    """
    from gasvc.server.app import open_blob_store, open_meta_store
    from gasvc.server.migrate import migrate as run_migration

    check_stores(None, database, blobs)
    settings = ServerSettings(database=database, blobs=blobs)
    meta = open_meta_store(settings)
    try:
        report = run_migration(source, meta, open_blob_store(settings),
                               say=lambda line: click.echo(line, err=True), jobs=jobs)
    finally:
        meta.close()
    rows = sum(report.rows.values())
    click.echo(f"moved {source} to {_safe(database)} and {blobs}: {report.blobs_copied} files "
               f"copied ({report.blobs_present} were there), {rows} rows; verified")


def _safe(location: str) -> str:
    """A database URL without its password, for logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", location)
