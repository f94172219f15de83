# shellcheck shell=bash
# Local stand-ins for the official base images, for machines that cannot pull them (no registry access): a Debian 12
# root filesystem made with debootstrap from the machine's own apt mirror, a Swift builder made of that plus this
# machine's toolchain and Swift's documented prerequisites, and Redis on that base. Built once per machine (and
# Swift version) with podman, then kept. Source this file from a script that already sourced scripts/lib.sh and
# runs from the repository's root; it needs root, podman and debootstrap.
#
#   podman_can_start_containers           fails, saying why, where podman cannot run a container
#   podman_ready_or_skip                  returns if it can; else exits: 0 with SKIPPED in a container, 1 elsewhere
#   in_container                          whether this machine is itself a container
#   ensure_standin_images WORK_FOLDER     sets STANDIN_DEBIAN, STANDIN_BUILDER and STANDIN_REDIS
#   host_source_volumes                   podman options giving a container this machine's package sources

# Inside an unprivileged container, podman can neither mount nor make namespaces. The probe is an image of /bin/true
# and the libraries it loads, so it needs no registry and no base image.
podman_can_start_containers() {
    local probe_image=localhost/bookcat-standin/probe:latest
    if ! podman image exists "$probe_image"; then
        # shellcheck disable=SC2046  # one path per word
        tar -chf - /bin/true $(ldd /bin/true | grep -oE '/[^ ]+') 2>/dev/null | podman import --quiet - "$probe_image" >/dev/null ||
            return 1
    fi
    podman run --rm --network none "$probe_image" /bin/true
}

in_container() { [ -f /.dockerenv ] || [ -f /run/.containerenv ]; }

# For the checks that start containers (they define `say`): inside a container that cannot start its own (a CI job's)
# the check is skipped, saying so; anywhere else a podman that cannot run a container is a failure.
podman_ready_or_skip() {
    local probe
    probe=$(podman_can_start_containers 2>&1) && return 0
    if in_container; then
        say "SKIPPED: this machine is a container that cannot start containers of its own (podman: ${probe##*$'\n'})"
        exit 0
    fi
    say "podman cannot start a container on this machine:"
    echo "$probe" >&2
    exit 1
}

# The Debian mirror this machine's apt uses, so the stand-ins install from the same place.
standin_debian_mirror() {
    local uri
    uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -m1 -E 'debian/?( |$)' | grep -oE 'https?://[^ ]+' || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

ensure_standin_images() {
    local work=$1
    STANDIN_DEBIAN=localhost/bookcat-standin/debian:bookworm
    if ! podman image exists "$STANDIN_DEBIAN"; then
        echo "building $STANDIN_DEBIAN with debootstrap (once per machine)"
        local mirror rootfs=$work/rootfs
        mirror=$(standin_debian_mirror)
        debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
            { cat "$work/debootstrap.log" >&2; return 1; }
        rm -f "$rootfs/etc/apt/sources.list"
        cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        chroot "$rootfs" apt-get clean
        tar -C "$rootfs" -c . | podman import --quiet - "$STANDIN_DEBIAN" >/dev/null
        rm -rf "$rootfs"
    fi

    local swift_version toolchain
    swift_version=$(swift --version 2>/dev/null | grep -oE 'Swift version [0-9.]+' | awk '{print $3}')
    # Named after its recipe too: a changed Containerfile makes a new image instead of reusing an old one.
    STANDIN_BUILDER=localhost/bookcat-standin/swift:$swift_version-bookworm-$(sha256sum scripts/stack/builder.Containerfile | cut -c1-12)
    if ! podman image exists "$STANDIN_BUILDER"; then
        echo "building $STANDIN_BUILDER from this machine's toolchain (once per machine and Swift version)"
        toolchain=$(readlink -f "$(command -v swift)")
        toolchain=${toolchain%/usr/bin/*}
        podman build --quiet --network host --build-arg "BASE=$STANDIN_DEBIAN" -v "$toolchain:/host-swift:ro" \
            -f scripts/stack/builder.Containerfile -t "$STANDIN_BUILDER" scripts/stack >/dev/null
    fi

    STANDIN_REDIS=localhost/bookcat-standin/redis:bookworm
    if ! podman image exists "$STANDIN_REDIS"; then
        echo "building $STANDIN_REDIS (once per machine)"
        podman build --quiet --network host --build-arg "BASE=$STANDIN_DEBIAN" \
            -f scripts/stack/redis.Containerfile -t "$STANDIN_REDIS" scripts/stack >/dev/null
    fi
}

# What a container needs to reach this machine's package sources as the machine itself does: the extra CA
# certificates (apt and pip inside would fail on certificates), the pip configuration, and git's URL rewrites to a
# local Swift package mirror. Prints podman volume options, one per line.
host_source_volumes() {
    local path
    for path in /usr/local/share/ca-certificates /etc/pip.conf /etc/gitconfig /opt/swift-packages; do
        [ -e "$path" ] && printf '%s\n' -v "$path:$path:ro"
    done
    return 0
}
