"""Training (SPEC section 8): POST for the JSON at the end, GET for each epoch as it is done.

Routes stay thin: ``app.training_service.TrainingService`` owns admission, single flight, the
deadline, the cache and cancellation. Both forms stop a training whose client has gone away
(when no other request follows the same training).
"""

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from app.deps import TrainingsDep
from app.middleware import deadline_of
from app.responses import PacedResponse
from app.routes import api
from app.schemas import TrainDoneEvent, TrainEpochEvent, TrainErrorEvent, TrainResult
from app.service import Deadline

router = APIRouter(prefix="/api", tags=["train"])

ERRORS: dict[int | str, dict] = {
    **{status: api.ERRORS[status] for status in (413, 422)},
    503: {
        "description": "Every training slot is taken (`max_concurrent_trainings` running, "
        "`train_queue_size` waiting), or the training did not finish within `train_timeout_s` "
        "of the request's arrival; see `Retry-After`."
    },
}
TRAIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/TrainRequest"},
                "examples": {
                    "hihello": {"summary": "An LSTM learns to say hihello", "value": {}},
                    "gru_tf1": {
                        "summary": "TF1's GRU, 2 layers, a snapshot every 10 epochs",
                        "value": {
                            "cell": "gru",
                            "reset_after": False,
                            "num_layers": 2,
                            "snapshot_every": 10,
                        },
                    },
                },
            }
        },
    }
}
STREAM_DESCRIPTION = (
    "Server-sent events, one per epoch as it trains: `event: epoch` whose data is a history "
    "entry, with `snapshot` at snapshot epochs (0, every `snapshot_every`, and the last), then "
    "`event: done` with the POST response's other fields (`config`, `vocabulary`, `meta`). A "
    "failure after the stream started ends it with `event: error` (`status` and `detail` as a "
    "JSON request would have got them). A training already done is replayed from the cache."
)


def _data_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema, its references pointing at the components that the POST
    response's schema registers (the same models)."""
    schema = model.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    schema.pop("$defs", None)
    return schema


EVENTS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("epoch", TrainEpochEvent),
    ("done", TrainDoneEvent),
    ("error", TrainErrorEvent),
)
STREAM_RESPONSE = {  # each event as OpenAPI 3.2 describes server-sent events (itemSchema)
    "description": STREAM_DESCRIPTION,
    "content": {
        "text/event-stream": {
            "itemSchema": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["event", "data"],
                        "properties": {
                            "event": {"const": name},
                            "data": {
                                "type": "string",
                                "contentMediaType": "application/json",
                                "contentSchema": _data_schema(model),
                            },
                        },
                    }
                    for name, model in EVENTS
                ]
            }
        }
    },
}


class EventStream(StreamingResponse):
    """``text/event-stream`` whose event iterator is closed however the response ends (the
    client gone included), so that the training stops at once, not when the garbage collector
    finds the iterator."""

    media_type = "text/event-stream"

    def __init__(self, events: AsyncGenerator[bytes, None], status_code: int = 200) -> None:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        super().__init__(events, status_code, headers)
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.events.aclose()


def _deadline(request: Request) -> Deadline:
    """``train_timeout_s`` from the request's arrival (``app.middleware`` stamps it)."""
    return deadline_of(request, request.app.state.settings.train_timeout_s)


async def _disconnected(request: Request) -> None:
    """Returns when the client has gone away (the body has been read: only that can come)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


@router.post("/train", response_model=TrainResult, responses=ERRORS, openapi_extra=TRAIN_BODY)
async def train(request: Request, trainings: TrainingsDep) -> Response:
    """Train a network to predict each next character of a text; the whole training as JSON.

    The body is a `TrainRequest` (`{}` trains an LSTM on "hihello"). Identical requests share
    one training and are then answered from the cache (header `X-Cache`: `hit`, `shared` with a
    training in progress, or `miss`).
    """
    prepared = await trainings.prepare_body(await request.body())
    answer = asyncio.ensure_future(trainings.answer(prepared, _deadline(request)))
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait({answer, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not answer.done():
            answer.cancel()  # the client went away: the training stops unless others follow it
    if answer not in done:  # (a cancelled task is not cancelled() until its next step)
        return Response(status_code=499)  # nobody reads it
    body, source = answer.result()
    return PacedResponse(body, media_type="application/json", headers={"X-Cache": source})


@router.get(
    "/train",
    response_class=EventStream,
    responses={200: STREAM_RESPONSE, 414: api.GET_ERRORS[414], **ERRORS},
)
async def train_stream(
    request: Request,
    trainings: TrainingsDep,
    config: Annotated[
        str, Query(description="The training configuration as URL-encoded JSON (the POST body).")
    ],
) -> EventStream:
    """The same training as POST, as a stream of server-sent events (for `EventSource`).

    Bad input and a full queue are answered before the stream starts (422, 503, as JSON).
    Closing the stream stops the training.
    """
    prepared = await trainings.prepare_config(config)
    return EventStream(trainings.stream(prepared, _deadline(request)))
