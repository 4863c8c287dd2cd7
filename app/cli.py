"""``rnn-visualizer``: serve the app with uvicorn (defaults: http://127.0.0.1:8000)."""

import argparse

import uvicorn

from app.server import HttpProtocol

# Seconds a stop waits for open requests (as long as a request's deadline, request_timeout_s)
# before it cuts them, a training stream among them, and the lifespan stops the trainings:
# `make run` and the image pass the same (docs/DEPLOY.md, "Stopping").
GRACEFUL_SHUTDOWN_S = 30


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve RNN Visualizer.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        http=HttpProtocol,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


if __name__ == "__main__":
    main()
