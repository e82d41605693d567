# noc-chatops container image. Build: docker build -t noc-chatops .
# Run: docker run --env-file noc.env -p 3000:3000 noc-chatops   (docs/how-to/deploy.md)
#
# Two stages: the build stage installs the package into a virtual environment with
# deploy/container/install.sh (the same script CI runs without a container engine) and checks it;
# the final stage gets only that environment: no compiler, no source tree, no pip cache. The
# trained router model is package data, so it is inside the environment and no container trains.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
# Compilers only here, for a dependency without a wheel on this platform; they stay in this stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libffi-dev \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY agents ./agents
COPY bot ./bot
COPY handlers ./handlers
COPY deploy/container/install.sh /usr/local/bin/noc-install
RUN noc-install /opt/noc /src

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="noc-chatops" \
      org.opencontainers.image.description="ChatOps bot for network operations centres" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 noc \
    && useradd --system --uid 10001 --gid noc --home-dir /var/lib/noc --create-home --shell /usr/sbin/nologin noc
COPY --from=build /opt/noc /opt/noc
ENV PATH=/opt/noc/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NOC_CACHE_DIR=/var/lib/noc/cache \
    NOC_HOST=0.0.0.0 \
    NOC_PORT=3000
USER 10001:10001
WORKDIR /var/lib/noc
EXPOSE 3000
# Liveness only (/healthz): Docker restarts an unhealthy container; readiness (/readyz) is for
# orchestrators that route traffic (Kubernetes' readinessProbe, Compose's depends_on).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('NOC_PORT', '3000'), timeout=4)"]
ENTRYPOINT ["noc"]
CMD ["run"]
