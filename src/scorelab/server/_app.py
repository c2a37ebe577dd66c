"""The web application: the API router, the pages (when present), the guards, the job manager.

Data flow::

    create_app(settings, jobs)
        /api/...        _api.router (JSON; OpenAPI at /openapi.json, Swagger UI at /docs
                        from static/docs/, nothing from a CDN)
        /, pages        _pages.pages_router and static/ when the pages module exists,
                        else a placeholder start page saying whether the engine is ready
        middleware      LocalHostOnly (no token) | TokenGate (a token), BodyLimit, gzip
        lifespan        jobs.start() at start-up, jobs.close() at shutdown

The pages are another module's job (``_pages.py`` with a ``pages_router``, and
a ``static/`` folder served at ``/static``): :func:`create_app` includes them
when they are there and needs no change when they arrive.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from scorelab._errors import ScorelabError
from scorelab._version import __version__
from scorelab.server._api import router as api_router
from scorelab.server._guard import BodyLimit, LocalHostOnly, TokenGate
from scorelab.server._jobs import JobManager
from scorelab.server._requests import RefusedError
from scorelab.server._settings import Settings

PAGES_MODULE = "scorelab.server._pages"
STATIC = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings, jobs: JobManager) -> FastAPI:
    """The application of one server: its routes, guards and the job manager's life."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs.start()
        try:
            yield
        finally:
            jobs.close()

    app = FastAPI(title="scorelab", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # FastAPI's own load from a CDN: see _docs
                  description="Run social scoring policies on synthetic populations: "
                              "the JSON API of `scorelab serve` (docs/serve.md).")
    app.state.settings, app.state.jobs = settings, jobs
    app.include_router(api_router)
    _include_docs(app)
    _include_pages(app)
    _handle_errors(app)
    app.add_middleware(GZipMiddleware, minimum_size=4096, compresslevel=5)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.token is not None:
        app.add_middleware(TokenGate, token=settings.token,
                           cookie=f"scorelab-token-{settings.port}")
    else:
        app.add_middleware(LocalHostOnly)
    return app


def _include_docs(app: FastAPI) -> None:
    """Swagger UI at /docs, its script and style served by scorelab (static/docs/).

    FastAPI's default /docs page loads Swagger UI from a CDN, so it would not open
    on a machine without network; Swagger UI 5 is vendored in ``static/docs/``
    (its README.txt says why and how to update it).
    """

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="scorelab API",
                                   swagger_js_url="/static/docs/swagger-ui-bundle.js",
                                   swagger_css_url="/static/docs/swagger-ui.css",
                                   swagger_favicon_url="/static/docs/favicon-32x32.png")

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False,
                      response_class=HTMLResponse)


def _include_pages(app: FastAPI) -> None:
    """The pages router and static folder when they exist; a placeholder start page if not."""
    if importlib.util.find_spec(PAGES_MODULE) is not None:
        app.include_router(importlib.import_module(PAGES_MODULE).pages_router)
    else:
        app.add_api_route("/", _placeholder, methods=["GET"], include_in_schema=False,
                          response_class=HTMLResponse)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _placeholder(request: Request) -> HTMLResponse:
    """The start page until the pages arrive: the server is up, the engine's state, links."""
    status = request.app.state.jobs.status()
    engine = {"ready": "ready", "compiling": "compiling in the background (first start only, "
              "about a minute); runs queue meanwhile",
              "failed": f"failed: {status['error']}"}.get(status["engine"], status["engine"])
    refresh = '<meta http-equiv="refresh" content="5">' if status["engine"] == "compiling" else ""
    body = (f"<!doctype html><html lang=en><head><meta charset=utf-8>{refresh}"
            f"<title>scorelab serve</title></head><body><h1>scorelab serve is running</h1>"
            f"<p>scorelab {html.escape(__version__)}. The engine is "
            f"<strong id=engine>{html.escape(engine)}</strong>. "
            f"{status['running']} running, {status['queued']} queued.</p>"
            '<p>The JSON API: <a href="/docs">/docs</a> (OpenAPI: '
            '<a href="/openapi.json">/openapi.json</a>); '
            '<a href="/api/runs">/api/runs</a>, <a href="/api/policies">/api/policies</a>.</p>'
            "</body></html>")
    return HTMLResponse(body)


def _errors_response(status: int, errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status)


def _handle_errors(app: FastAPI) -> None:
    """Every refusal as ``{"errors": [{"message", "line", "key"}]}`` with its status."""

    @app.exception_handler(RefusedError)
    async def refused(request: Request, exc: RefusedError) -> JSONResponse:
        return _errors_response(exc.status, exc.errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _errors_response(exc.status_code, [{"message": str(exc.detail),
                                                       "line": None, "key": None}])
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(ScorelabError)
    async def scorelab_error(request: Request, exc: ScorelabError) -> JSONResponse:
        message = request.app.state.settings.public(str(exc))
        return _errors_response(422, [{"message": message, "line": None, "key": None}])

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:  # its traceback: logged
        message = f"internal error: {type(exc).__name__} (the server's log has the traceback)"
        return _errors_response(500, [{"message": message, "line": None, "key": None}])

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"] if part != "body")
            if error["type"] == "json_invalid":  # its loc is a character offset
                where = "body"
                error = {**error, "msg": f"not JSON ({error.get('ctx', {}).get('error', '')}"
                                         f" at character {error['loc'][-1]})"}
            errors.append({"message": f"{where}: {error['msg']}" if where else error["msg"],
                           "line": None, "key": where or None})
        return _errors_response(422, errors)
