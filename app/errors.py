"""Errors the API reports as 4xx/503, and their JSON form.

Every client error uses FastAPI's validation format, so one shape serves pydantic's own errors
and ours: ``{"detail": [{"loc": ["body", "field", ...], "msg": "...", "type": "..."}]}``.
"""

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

Loc = tuple[str | int, ...]


class InputError(Exception):
    """A request that breaks a rule; ``loc`` is the path of the field inside the body."""

    def __init__(self, loc: Loc, msg: str, status_code: int = 422) -> None:
        super().__init__(msg)
        self.loc, self.msg, self.status_code = loc, msg, status_code


class Overloaded(Exception):
    """The worker cannot take or finish the run in time: 503 with ``Retry-After``."""

    def __init__(self, msg: str, retry_after_s: int) -> None:
        super().__init__(msg)
        self.msg, self.retry_after_s = msg, retry_after_s


def error_body(loc: Loc, msg: str, kind: str) -> dict:
    """The JSON body of a client error about the field at ``loc``."""
    return {"detail": [{"loc": ["body", *loc], "msg": msg, "type": kind}]}


def install_error_handlers(app: FastAPI) -> None:
    """Map pydantic's errors, ``InputError`` and ``Overloaded`` to their responses."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """pydantic's errors without the offending input echoed back (it can be large)."""
        detail = [{k: e[k] for k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": detail}, 422)

    @app.exception_handler(HTTPException)
    async def unreadable(request: Request, exc: HTTPException) -> Response:
        """A body FastAPI could not decode (not UTF-8) reads like any other bad JSON: 422."""
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            msg = "the body could not be read as UTF-8 JSON"
            return JSONResponse(error_body((), msg, "json_invalid"), 422)
        return await http_exception_handler(request, exc)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse(error_body(exc.loc, exc.msg, "value_error"), exc.status_code)

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.msg}, 503, headers={"Retry-After": str(exc.retry_after_s)}
        )
