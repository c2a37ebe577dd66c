"""The web application: the API router, the pages, the guards, the job manager.

Data flow::

    create_app(settings, jobs)
        /api/...        _api.router (JSON; OpenAPI at /openapi.json, Swagger UI at /docs
                        from static/docs/, nothing from a CDN)
        /, pages        _pages.pages_router; static/ (scripts, styles) at /static
        middleware      LocalHostOnly (no token) | TokenGate (a token), BodyLimit, gzip
        lifespan        jobs.start() at start-up, jobs.close() at shutdown

A path that names nothing is a 404 in the API's error shape, or, for a page a
browser asked for (outside /api, accepting HTML), the pages' "Not found" page.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from scorelab._errors import ScorelabError
from scorelab._version import __version__
from scorelab.server._api import router as api_router
from scorelab.server._guard import BodyLimit, LocalHostOnly, TokenGate
from scorelab.server._jobs import JobManager
from scorelab.server._pages import missing_page, pages_router
from scorelab.server._requests import RefusedError
from scorelab.server._settings import Settings

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
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _wants_a_page(request: Request) -> bool:
    return (request.method == "GET" and not request.url.path.startswith(("/api/", "/static/"))
            and "text/html" in request.headers.get("accept", ""))


def _errors_response(status: int, errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status)


def _handle_errors(app: FastAPI) -> None:
    """Every refusal as ``{"errors": [{"message", "line", "key"}]}`` with its status."""

    @app.exception_handler(RefusedError)
    async def refused(request: Request, exc: RefusedError) -> JSONResponse:
        return _errors_response(exc.status, exc.errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _wants_a_page(request):
            return missing_page(request, f"no page {request.url.path[:80]!r} here")
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
