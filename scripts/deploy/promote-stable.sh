#!/usr/bin/env bash
# Moves the registry's `stable` tag to the image deploy.sh just reported healthy, named by its digest, without pulling
# or pushing any layer: the digest's manifest is read and put again under `stable` (ECR's documented way to re-tag),
# with the digest given so ECR refuses any other manifest. The deployment workflow runs it with the deploy role after
# deploy.sh succeeds; the hosts cannot, their role only pulls. Nothing runs `stable`: deploys and rollbacks go by
# digest. It is a pointer for people ("what is in production?") and what the ECR lifecycle rule never expires, which
# keeps the digest a rollback would pull.
#   AWS_REGION=eu-west-1 scripts/deploy/promote-stable.sh REPOSITORY sha256:DIGEST
# Safe to run again: `stable` already on that image is success.
set -euo pipefail

usage="usage: promote-stable.sh REPOSITORY sha256:DIGEST"
repository=${1:?$usage} digest=${2:?$usage}
fail() { echo "promote-stable: $*" >&2; exit 1; }
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "a digest (sha256:<64 hex digits>) expected, not '$digest'; stable is unchanged"

image=$(aws ecr batch-get-image --repository-name "$repository" --image-ids "imageDigest=$digest" --output json) ||
    fail "could not read $repository@$digest; stable is unchanged"
manifest=$(jq -r '.images[0].imageManifest // empty' <<<"$image")
media_type=$(jq -r '.images[0].imageManifestMediaType // empty' <<<"$image")
[ -n "$manifest" ] || fail "$repository has no image $digest; stable is unchanged"

arguments=(--repository-name "$repository" --image-tag stable --image-digest "$digest" --image-manifest "$manifest")
# An OCI index (BuildKit's default, with its attestations) must be put with its own media type.
[ -z "$media_type" ] || arguments+=(--image-manifest-media-type "$media_type")
if ! output=$(aws ecr put-image "${arguments[@]}" --output json 2>&1); then
    # Raised when `stable` already names this very manifest: a re-run, or a redeploy of the same image.
    grep -q ImageAlreadyExistsException <<<"$output" || fail "could not move stable to $digest: $output"
fi
echo "promote-stable: $repository:stable is now $digest"
