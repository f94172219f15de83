#!/usr/bin/env bash
# Moves the registry's `stable` tag to the image deploy.sh just reported healthy, without pulling or pushing any
# layer: the image's manifest is read and put again under `stable` (ECR's documented way to re-tag). The deployment
# workflow runs it with the deploy role after deploy.sh succeeds; the hosts cannot, their role only pulls, so
# neither a host nor a container on it can choose the image the next rollback runs.
#   AWS_REGION=eu-west-1 scripts/deploy/promote-stable.sh REPOSITORY TAG
# Safe to run again: `stable` already on that image is success.
set -euo pipefail

repository=${1:?usage: promote-stable.sh REPOSITORY TAG} tag=${2:?usage: promote-stable.sh REPOSITORY TAG}
fail() { echo "promote-stable: $*" >&2; exit 1; }

image=$(aws ecr batch-get-image --repository-name "$repository" --image-ids "imageTag=$tag" --output json) ||
    fail "could not read $repository:$tag; stable is unchanged"
manifest=$(jq -r '.images[0].imageManifest // empty' <<<"$image")
media_type=$(jq -r '.images[0].imageManifestMediaType // empty' <<<"$image")
[ -n "$manifest" ] || fail "$repository has no image tagged $tag; stable is unchanged"

arguments=(--repository-name "$repository" --image-tag stable --image-manifest "$manifest")
# An OCI index (BuildKit's default, with its attestations) must be put with its own media type.
[ -z "$media_type" ] || arguments+=(--image-manifest-media-type "$media_type")
if ! output=$(aws ecr put-image "${arguments[@]}" --output json 2>&1); then
    # Raised when `stable` already names this very manifest: a re-run, or a redeploy of the same tag.
    grep -q ImageAlreadyExistsException <<<"$output" || fail "could not move stable to $tag: $output"
fi
echo "promote-stable: $repository:stable is now $tag"
