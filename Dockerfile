# CPU image by default. For a GPU: docker build --build-arg BASE_IMAGE=tensorflow/tensorflow:2.21.0-gpu
# (TensorFlow is already installed there, so pip keeps it) and run with --gpus all.
# With Ray Serve (executor=ray; also the image of a KubeRay cluster): --build-arg EXTRAS='[ray]'.
# docs/DEPLOY.md has every variant.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG EXTRAS=""

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/rnn-visualizer
COPY pyproject.toml README.md ./
COPY app ./app
COPY static ./static
COPY templates ./templates
RUN pip install --no-cache-dir -e ".${EXTRAS}" \
    && useradd --create-home --uid 10001 app
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"]
# A stream still open 30 s after a stop is cut (a training stream lasts up to train_timeout_s).
CMD ["uvicorn", "app.main:app", "--http", "app.server:HttpProtocol", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "30"]
