"""``rnn-visualizer``: serve the app with uvicorn (defaults: http://127.0.0.1:8000)."""

import argparse

import uvicorn

from app.server import HttpProtocol


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve RNN Visualizer.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run("app.main:app", host=args.host, port=args.port, http=HttpProtocol)


if __name__ == "__main__":
    main()
