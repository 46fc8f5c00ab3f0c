"""`create_app(settings)`: the Starlette application, built from explicit settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gasvc.errors import WireError
from gasvc.server.blobs import BlobStore, DirectoryBlobStore
from gasvc.server.engine import Engine
from gasvc.server.http import (
    RequestIdMiddleware,
    api_route,
    on_client_disconnect,
    on_http_error,
    on_unexpected,
    on_wire_error,
)
from gasvc.server.jobworker import JobWorker
from gasvc.server.meta import MetaStore, open_meta, scale_extra
from gasvc.server.routes import batch, content, core, jobs, storage
from gasvc.server.settings import API_PREFIX, HEALTH_PATH, ServerSettings

log = logging.getLogger("gasvc.server")


def open_engine(settings: ServerSettings) -> Engine:
    return Engine(open_meta_store(settings), open_blob_store(settings), settings.url_ttl,
                  settings.batch_extension)


def open_meta_store(settings: ServerSettings) -> MetaStore:
    if settings.database is None and settings.data_dir is not None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_meta(settings.meta_location)


def open_blob_store(settings: ServerSettings) -> BlobStore:
    """The S3 store for `s3://…`, else the folder store."""
    location = settings.blob_location
    if location.startswith("s3://"):
        with scale_extra():
            from gasvc.server.s3blobs import S3BlobStore

            return S3BlobStore(location)
    return DirectoryBlobStore(Path(location))


def create_app(settings: ServerSettings, engine: Engine | None = None) -> Starlette:
    engine = engine or open_engine(settings)
    auth, limit = engine.datasets.authenticate, settings.max_json_bytes
    table = core.routes(engine) + content.routes(engine) + jobs.routes(engine)
    routes: list[BaseRoute] = [
        api_route(method, API_PREFIX + path, handler, auth, limit)
        for method, path, handler in table
    ]
    routes += storage.routes(engine, settings)
    routes.append(Route(HEALTH_PATH, health(engine), methods=["GET"]))
    if settings.batch_extension:
        routes += batch.routes(engine, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(sweep_upload_tmp(engine, settings))
        worker = JobWorker(engine.jobs, settings.job_lease, settings.job_poll)
        if settings.job_worker:
            worker.start()
        try:
            yield
        finally:
            sweeper.cancel()
            if settings.job_worker:
                await run_in_threadpool(worker.stop)
            engine.ctx.meta.close()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestIdMiddleware)],
        exception_handlers={
            WireError: on_wire_error, HTTPException: on_http_error,
            ClientDisconnect: on_client_disconnect, Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    return app


def health(engine: Engine) -> Callable[[Request], Awaitable[Response]]:
    """`GET /healthz`: 200 when the metadata database answers, else 503 (for load balancers)."""

    async def check(request: Request) -> Response:
        try:
            await run_in_threadpool(engine.ctx.meta.ping)
        except Exception as error:
            log.warning("health check failed: %s", error)
            return JSONResponse({"status": "unavailable", "error": str(error)}, status_code=503)
        return JSONResponse({"status": "ok"})

    return check


async def sweep_upload_tmp(engine: Engine, settings: ServerSettings) -> None:
    """Remove stale temporary files of uploads now and then, while the server runs."""
    while True:
        await asyncio.sleep(settings.sweep_interval)
        try:
            removed = await run_in_threadpool(engine.ctx.blobs.sweep_tmp,
                                              settings.upload_tmp_max_age)
        except OSError as error:
            log.warning("sweeping upload temporary files failed: %s", error)
            continue
        if removed:
            log.info("removed %d stale upload temporary file(s)", removed)
