#!/usr/bin/env bash
# Prints the `commands` parameter (a JSON array) of the AWS-RunShellScript call that deploys one image by digest: it
# writes this commit's deploy.sh, health-checker.sh and docker-compose.yml into the deploy folder and runs deploy.sh,
# so the instance needs no access to the repository. Used by .github/workflows/deployment.yml; tested under dash by
# scripts/tests/deploy-test.sh.
#   ssm-deploy-commands.sh REGISTRY/REPOSITORY@sha256:DIGEST AWS_REGION [DEPLOY_DIR]
#
# The SSM agent runs the commands with `sh`, which is dash on Ubuntu, so they are POSIX (dash has no
# `set -o pipefail`); deploy.sh itself runs under bash through its shebang, and refuses anything but a digest.
# The values are shell-quoted (jq's @sh): they become part of a script.
set -euo pipefail
cd "$(dirname "$0")"

image=${1:?image digest reference} region=${2:?region}
deploy_dir=${3:-/opt/bookcat}

jq -cn --arg image "$image" --arg region "$region" --arg dir "$deploy_dir" \
    --arg deploy "$(base64 -w0 deploy.sh)" \
    --arg health "$(base64 -w0 health-checker.sh)" \
    --arg compose "$(base64 -w0 docker-compose.yml)" '[
    "set -eu",
    "cd \($dir | @sh)",
    "echo \($deploy) | base64 -d > deploy.sh",
    "echo \($health) | base64 -d > health-checker.sh",
    "echo \($compose) | base64 -d > docker-compose.yml",
    "chmod +x deploy.sh health-checker.sh",
    "IMAGE=\($image | @sh) AWS_REGION=\($region | @sh) DEPLOY_DIR=\($dir | @sh) ./deploy.sh"
  ]'
