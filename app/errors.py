"""Errors the API reports as 4xx/503, and their JSON form.

Every client error uses FastAPI's validation format, so one shape serves pydantic's own errors
and ours: ``{"detail": [{"loc": ["body", "field", ...], "msg": "...", "type": "..."}]}``. A
message may quote what the client sent (a key, a character); such text is made encodable first,
so that no error answer can itself fail (a lone surrogate has no UTF-8 form).
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

Loc = tuple[str | int, ...]


class InputError(Exception):
    """A request that breaks a rule; ``loc`` is the path of the field inside the body (or, with
    ``root="query"``, inside the query)."""

    def __init__(
        self, loc: Loc, msg: str, kind: str = "value_error", root: str = "body", status: int = 422
    ) -> None:
        super().__init__(msg)
        self.loc, self.msg, self.kind, self.root, self.status = loc, msg, kind, root, status


class Overloaded(Exception):
    """The request cannot be taken or finished by its deadline: 503 with ``Retry-After``."""

    def __init__(self, msg: str, retry_after_s: float) -> None:
        super().__init__(msg)
        self.msg, self.retry_after_s = msg, max(1, round(retry_after_s + 0.499))


def printable(value: Any) -> Any:
    """``value`` with every string made encodable as UTF-8 (lone surrogates escaped)."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [printable(item) for item in value]
    if isinstance(value, dict):
        return {printable(key): printable(item) for key, item in value.items()}
    return value


def error_body(loc: Loc, msg: str, kind: str, root: str = "body") -> dict:
    """The JSON body of a client error about the field at ``loc`` (of the body or a query)."""
    return {"detail": [{"loc": printable([root, *loc]), "msg": printable(msg), "type": kind}]}


def error_response(status: int, body: dict, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(printable(body), status, headers=headers)


def overloaded_response(error: Overloaded) -> JSONResponse:
    return error_response(503, {"detail": error.msg}, {"Retry-After": str(error.retry_after_s)})


def install_error_handlers(app: FastAPI) -> None:
    """Map pydantic's errors, ``InputError`` and ``Overloaded`` to their responses."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """pydantic's errors without the offending input echoed back (it can be large)."""
        detail = [{k: e[k] for k in ("loc", "msg", "type")} for e in exc.errors()]
        return error_response(422, {"detail": detail})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """Starlette's own errors in the same JSON form; a 405 lists every method of the path."""
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
            if request.method == "OPTIONS":  # what the path allows, asked plainly
                return Response(status_code=204, headers=headers)
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return error_response(422, error_body((), "the body is not valid JSON", "json_invalid"))
        return error_response(exc.status_code, {"detail": exc.detail}, headers)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return error_response(exc.status, error_body(exc.loc, exc.msg, exc.kind, root=exc.root))

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        return overloaded_response(exc)


def _leaf_routes(routes: list) -> list:
    """Every route, routers included with ``include_router`` opened up."""
    leaves = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        leaves += _leaf_routes(inner.routes) if inner is not None else [route]
    return leaves


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path (several routes may share it)."""
    path = request.scope["path"]
    methods: set[str] = {"OPTIONS"}
    for route in _leaf_routes(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
