"""`create_app(settings)`: the Starlette application, built from explicit settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute

from gasvc.errors import WireError
from gasvc.server.blobs import DirectoryBlobStore
from gasvc.server.engine import Engine
from gasvc.server.http import (
    RequestIdMiddleware,
    api_route,
    on_client_disconnect,
    on_http_error,
    on_unexpected,
    on_wire_error,
)
from gasvc.server.meta import SqliteMetaStore
from gasvc.server.routes import batch, content, core, storage
from gasvc.server.settings import API_PREFIX, ServerSettings

log = logging.getLogger("gasvc.server")


def open_engine(settings: ServerSettings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Engine(SqliteMetaStore(settings.meta_path), DirectoryBlobStore(settings.blob_dir),
                  settings.url_ttl, settings.batch_extension)


def create_app(settings: ServerSettings, engine: Engine | None = None) -> Starlette:
    engine = engine or open_engine(settings)
    auth, limit = engine.datasets.authenticate, settings.max_json_bytes
    table = core.routes(engine) + content.routes(engine)
    routes: list[BaseRoute] = [
        api_route(method, API_PREFIX + path, handler, auth, limit)
        for method, path, handler in table
    ]
    routes += storage.routes(engine, settings)
    if settings.batch_extension:
        routes += batch.routes(engine, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(sweep_upload_tmp(engine, settings))
        try:
            yield
        finally:
            sweeper.cancel()

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
