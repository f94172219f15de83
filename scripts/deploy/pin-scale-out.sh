#!/usr/bin/env bash
# Tags, in ECR, the digest the scaled-out shape's replicas are about to run as `scale-out`, and the one they ran until
# now as `scale-out-previous`, so the ECR lifecycle policy (terraform/ecr-lifecycle-policy.json.tftpl) expires neither
# while replicas run it: the replicas pull `scale_out.image_digest` at every launch (a scale-out, a replacement, an
# instance refresh), and the policy otherwise keeps only the newest `image_retention_count` releases besides `stable`.
# Run it before each `terraform apply` that gives scale_out.image_digest a new value (docs/deployment-aws.md, "Rolling a release out"),
# with the credentials you apply with; the deployment workflow does not know which digest the replicas run.
#   AWS_REGION=eu-west-1 scripts/deploy/pin-scale-out.sh REPOSITORY sha256:DIGEST
# Like promote-stable.sh it re-tags manifests without pulling or pushing a layer, `scale-out-previous` first, so the
# digest the replicas run now is never without a kept tag. Safe to run again with the same digest: nothing moves.
set -euo pipefail

usage="usage: pin-scale-out.sh REPOSITORY sha256:DIGEST"
repository=${1:?$usage} digest=${2:?$usage}
fail() { echo "pin-scale-out: $*" >&2; exit 1; }
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] ||
    fail "a digest (sha256:<64 hex digits>) expected, not '$digest'; the replicas run a digest, never a tag; nothing was changed"

# read IMAGE_ID: the registry's answer for one image (imageDigest=… or imageTag=…), as JSON.
read_image() { aws ecr batch-get-image --repository-name "$repository" --image-ids "$1" --output json; }

# tag TAG JSON: puts the manifest JSON describes under TAG, for that digest only (ECR refuses any other manifest).
tag() {
    local tag=$1 image=$2 tagged_digest manifest media_type
    output="" # global: the caller reports the refusal
    tagged_digest=$(jq -r '.images[0].imageId.imageDigest // empty' <<<"$image")
    manifest=$(jq -r '.images[0].imageManifest // empty' <<<"$image")
    media_type=$(jq -r '.images[0].imageManifestMediaType // empty' <<<"$image")
    local arguments=(--repository-name "$repository" --image-tag "$tag" --image-digest "$tagged_digest" --image-manifest "$manifest")
    # An OCI index (BuildKit's default, with its attestations) must be put with its own media type.
    [ -z "$media_type" ] || arguments+=(--image-manifest-media-type "$media_type")
    if ! output=$(aws ecr put-image "${arguments[@]}" --output json 2>&1); then
        # Raised when TAG already names this very manifest: a re-run.
        grep -q ImageAlreadyExistsException <<<"$output" || return 1
    fi
}

new=$(read_image "imageDigest=$digest") || fail "could not read $repository@$digest; nothing was changed"
[ -n "$(jq -r '.images[0].imageManifest // empty' <<<"$new")" ] || fail "$repository has no image $digest; nothing was changed"
# The image's own digest, as the registry names it (the answer may lack imageId when asked by digest).
new=$(jq --arg digest "$digest" '.images[0].imageId.imageDigest = $digest' <<<"$new")

current=$(read_image "imageTag=scale-out") || fail "could not read $repository:scale-out; nothing was changed"
current_digest=$(jq -r '.images[0].imageId.imageDigest // empty' <<<"$current")
if [ "$current_digest" = "$digest" ]; then
    echo "pin-scale-out: $repository:scale-out is already $digest; nothing moved"
    exit 0
fi
if [ -n "$current_digest" ]; then
    tag scale-out-previous "$current" ||
        fail "could not tag $current_digest, which the replicas run now, as scale-out-previous: $output; nothing was changed"
    echo "pin-scale-out: $repository:scale-out-previous is now $current_digest (what the replicas ran until this roll-out)"
fi
tag scale-out "$new" || fail "could not move scale-out to $digest: $output; do not apply it yet"
echo "pin-scale-out: $repository:scale-out is now $digest: apply it with scale_out = { image_digest = \"$digest\", … }"
