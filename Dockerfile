# syntax=docker/dockerfile:1
# Two stages: build with the official Swift image, run on plain Ubuntu with only the runtime libraries.
# Base images are build arguments so they can be pinned by digest or swapped for a mirror.
#checkov:skip=CKV_DOCKER_7:Base images are build arguments whose defaults are versioned tags; pin them by digest at build time.
ARG BUILD_IMAGE=swift:6.1-noble
ARG RUNTIME_IMAGE=ubuntu:noble

FROM ${BUILD_IMAGE} AS build
# Unpinned on purpose: the distribution's current packages carry its security fixes; reproducibility comes from
# pinning BUILD_IMAGE and RUNTIME_IMAGE by digest.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhiredis-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Dependencies first, in their own layer: they change far less often than the sources.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY REST_API_SPEC.yaml ./
RUN swift build -c release --static-swift-stdlib --product bookcat \
    && install -D "$(swift build -c release --show-bin-path)/bookcat" /staging/bookcat

FROM ${RUNTIME_IMAGE}
# Unpinned on purpose, as above.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhiredis1.1.0 libsqlite3-0 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin bookcat \
    && mkdir -p /data \
    && chown bookcat:bookcat /data
COPY --from=build /staging/bookcat /usr/local/bin/bookcat
USER 10001
WORKDIR /data
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8000 \
    DATABASE_PATH=/data/catalog.sqlite3 \
    APP_ENV=production
VOLUME ["/data"]
EXPOSE 8000
# No curl in the image: the binary checks itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["bookcat", "healthcheck"]
ENTRYPOINT ["bookcat"]
CMD ["serve"]
