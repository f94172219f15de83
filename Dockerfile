# syntax=docker/dockerfile:1
# Two stages: build with the official Swift image, run on the same distribution release with only the runtime
# libraries. Base images are build arguments so they can be pinned by digest or swapped for a mirror; the two
# must be the same release (swift:6.3-bookworm with debian:bookworm-slim, swift:6.3-noble with ubuntu:noble),
# because the binary links the distribution's hiredis and SQLite. A mismatch fails the build, not the container.
#checkov:skip=CKV_DOCKER_7:Base images are build arguments whose defaults are versioned tags; pin them by digest at build time.
ARG BUILD_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${BUILD_IMAGE} AS build
# Unpinned on purpose: the distribution's current packages carry its security fixes; reproducibility comes from
# pinning BUILD_IMAGE and RUNTIME_IMAGE by digest.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libhiredis-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Everything the manifest names: SwiftPM refuses a manifest whose targets have no sources, so Tests come too (only
# `bookcat` is built). The packages are the pinned ones: Package.resolved is written from Package.pins, and the build
# resolves nothing else.
COPY Package.swift Package.pins REST_API_SPEC.yaml ./
COPY scripts/generate/write-package-resolved.sh ./scripts/generate/
COPY Sources ./Sources
COPY Tests ./Tests
# The build folder is a cache mount: a rebuild on the same machine compiles only what changed, not every dependency.
RUN --mount=type=cache,target=/build/.build \
    scripts/generate/write-package-resolved.sh \
    && swift build -c release --static-swift-stdlib --force-resolved-versions --product bookcat \
    && bin="$(swift build -c release --static-swift-stdlib --force-resolved-versions --show-bin-path)" \
    && install -D "$bin/bookcat" /staging/bookcat \
    && cp -R "$bin/bookcat_BookcatHTTP.resources" /staging/

FROM ${RUNTIME_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hiredis's runtime package is named after its soname, which differs by release (Debian 12: libhiredis0.14,
# Ubuntu 24.04 and Debian 13: libhiredis1.1.0), so ask apt which one this base has.
# Unpinned on purpose, as above.
# hadolint ignore=DL3008
RUN apt-get update \
    && hiredis=$(apt-cache pkgnames libhiredis | grep -E '^libhiredis[0-9][0-9.]*$' | sort -V | tail -n 1) \
    && [ -n "$hiredis" ] \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$hiredis" libsqlite3-0 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin bookcat \
    && mkdir -p /data \
    && chown bookcat:bookcat /data
# The binary and its resource bundle (Swagger UI's files for /docs), which it looks for beside itself.
COPY --from=build /staging/ /usr/local/bin/
# Fails the build when the runtime base lacks a library the binary was linked against (a release mismatch).
RUN if ldd /usr/local/bin/bookcat | grep 'not found'; then echo "RUNTIME_IMAGE lacks the libraries above" >&2; exit 1; fi
USER 10001
WORKDIR /data
# MALLOC_ARENA_MAX: glibc gives each busy thread an allocator arena of its own, and under the mixed load those grew
# by fragmentation alone for as long as the load ran (scripts/checks/check-memory-soak.sh); two keep memory flat at
# no measurable cost to requests.
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8000 \
    DATABASE_PATH=/data/catalog.sqlite3 \
    APP_ENV=production \
    MALLOC_ARENA_MAX=2
VOLUME ["/data"]
EXPOSE 8000
# No curl in the image: the binary checks itself, and "degraded" (the cache does not answer) is not healthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["bookcat", "healthcheck"]
ENTRYPOINT ["bookcat"]
CMD ["serve"]
