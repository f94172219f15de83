#!/usr/bin/env bash
# Writes Package.resolved from Package.pins (or FOLDER/Package.pins), so every build resolves the versions CI tested.
#
# Package.resolved pins each version to a commit, and a commit id is only good in the repository it came from: a
# package mirror that re-creates tags (as this project's development machines have) gives other ids than GitHub, so
# a Package.resolved committed from one place fails to check out in the other ("reference is not a tree"). Versions
# travel; commits are looked up here, with `git ls-remote` through the same URL rewriting SwiftPM uses. Builds then
# run with --force-resolved-versions: a package the pins miss, or a version the manifest does not allow, fails the
# build instead of resolving something CI never tested. Needs only bash and git (it runs in the image build too).
#
#   scripts/generate/write-package-resolved.sh [FOLDER]
set -euo pipefail
folder="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
pins="$folder/Package.pins"
resolved="$folder/Package.resolved"
[ -f "$pins" ] || { echo "no $pins" >&2; exit 1; }

# Nothing to look up when Package.resolved already pins exactly these versions and is newer than the pins: a build
# offline, or while the package host is down, then works as it did.
pinned_versions() { awk '!/^#/ && NF == 3 { print $1, $3 }' "$pins" | sort; }
resolved_versions() {
    awk -F'"' '/"identity"/ { identity = $4 } /"version"/ && identity != "" { print identity, $4; identity = "" }' "$resolved" | sort
}
if [ -f "$resolved" ] && [ "$resolved" -nt "$pins" ] && [ "$(pinned_versions)" = "$(resolved_versions)" ]; then
    exit 0
fi

# The commit a version's tag points at: an annotated tag's peeled commit, else the tag itself; SwiftPM also accepts
# a tag written with a leading v.
commit_of() {
    local location=$1 version=$2 tag lines
    for tag in "$version" "v$version"; do
        lines=$(git ls-remote "$location" "refs/tags/$tag" "refs/tags/$tag^{}") || return 2
        if [ -n "$lines" ]; then
            grep -F "refs/tags/$tag^{}" <<<"$lines" | cut -f1 && return 0
            head -n 1 <<<"$lines" | cut -f1
            return 0
        fi
    done
    return 1
}

entries=()
while read -r identity location version rest; do
    case "$identity" in '' | '#'*) continue ;; esac
    if [ -z "$version" ] || [ -n "$rest" ]; then
        echo "$pins: a line must be 'identity location version': $identity $location $version $rest" >&2
        exit 1
    fi
    status=0
    commit=$(commit_of "$location" "$version") || status=$?
    case $status in
        0) ;;
        2) echo "could not reach $location to look up $version (offline?); Package.resolved is left as it was" >&2; exit 1 ;;
        *) echo "$location has no tag $version (nor v$version)" >&2; exit 1 ;;
    esac
    entries+=("$(printf '    {\n      "identity" : "%s",\n      "kind" : "remoteSourceControl",\n      "location" : "%s",\n      "state" : {\n        "revision" : "%s",\n        "version" : "%s"\n      }\n    }' "$identity" "$location" "$commit" "$version")")
done <"$pins"

temporary=$(mktemp "$resolved.XXXXXX")
{
    printf '{\n  "pins" : [\n'
    for index in "${!entries[@]}"; do
        printf '%s' "${entries[$index]}"
        if [ "$index" -lt $((${#entries[@]} - 1)) ]; then printf ',\n'; else printf '\n'; fi
    done
    printf '  ],\n  "version" : 3\n}\n'
} >"$temporary"
# Unchanged content is left as it is (its time moved: it was checked against the pins just now).
if cmp -s "$temporary" "$resolved"; then
    rm -f "$temporary"
    touch "$resolved" # checked against the pins: the next build need not look again
    chmod 644 "$resolved" 2>/dev/null || true
else
    # mktemp makes it readable by its owner only; the build may run as someone else (the unprivileged test user).
    chmod 644 "$temporary"
    mv "$temporary" "$resolved"
fi
