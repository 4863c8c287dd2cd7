"""Static files: ``/static/<digest>/<path>`` cached for a year, ``/static/<path>`` revalidated;
both compressed (brotli or gzip, as the client accepts) and answered 304 when unchanged
(``app.assets`` says why the URLs look so)."""

from fastapi import APIRouter, HTTPException, Request, Response

from app.assets import YEAR_S, static_tree
from app.routes.api import etag_matches

router = APIRouter(tags=["static"], include_in_schema=False)


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
def static_file(path: str, request: Request) -> Response:
    """One static file, in the encoding the client prefers."""
    found = static_tree().lookup(path)
    if found is None:
        raise HTTPException(404, "Not Found")
    asset, hashed = found
    headers = {
        "ETag": asset.etag,
        "Cache-Control": f"public, max-age={YEAR_S}, immutable" if hashed else "no-cache",
        "Vary": "Accept-Encoding",
    }
    if etag_matches(request.headers.get("if-none-match"), asset.etag):
        return Response(status_code=304, headers=headers)
    encoding = asset.negotiate(request.headers.get("accept-encoding", ""))
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    return Response(asset.encoded(encoding), media_type=asset.media_type, headers=headers)
