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

# The commit a version's tag points at: an annotated tag's peeled commit, else the tag itself; SwiftPM also accepts
# a tag written with a leading v.
commit_of() {
    local location=$1 version=$2 tag lines
    for tag in "$version" "v$version"; do
        lines=$(git ls-remote "$location" "refs/tags/$tag" "refs/tags/$tag^{}") || return 1
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
    commit=$(commit_of "$location" "$version") || { echo "$location has no tag $version" >&2; exit 1; }
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
# Unchanged content keeps the file's time, so SwiftPM has nothing to re-resolve.
if cmp -s "$temporary" "$resolved"; then rm -f "$temporary"; else mv "$temporary" "$resolved"; fi
