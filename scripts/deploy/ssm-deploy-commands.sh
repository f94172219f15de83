#!/usr/bin/env bash
# Prints the `commands` parameter (a JSON array) of the AWS-RunShellScript call that deploys one image tag: it writes
# this commit's deploy.sh, health-checker.sh and docker-compose.yml into the deploy folder and runs deploy.sh, so the
# instance needs no access to the repository. Used by .github/workflows/deployment.yml; tested under dash by
# scripts/tests/deploy-test.sh.
#   ssm-deploy-commands.sh REGISTRY IMAGE_TAG AWS_REGION IMAGE_REPOSITORY [DEPLOY_DIR]
#
# The SSM agent runs the commands with `sh`, which is dash on Ubuntu, so they are POSIX (dash has no
# `set -o pipefail`); deploy.sh itself runs under bash through its shebang.
set -euo pipefail
cd "$(dirname "$0")"

registry=${1:?registry} tag=${2:?image tag} region=${3:?region} repository=${4:?repository}
deploy_dir=${5:-/opt/bookcat}

jq -cn --arg registry "$registry" --arg tag "$tag" --arg region "$region" --arg repository "$repository" \
    --arg dir "$deploy_dir" \
    --arg deploy "$(base64 -w0 deploy.sh)" \
    --arg health "$(base64 -w0 health-checker.sh)" \
    --arg compose "$(base64 -w0 docker-compose.yml)" '[
    "set -eu",
    "cd \($dir)",
    "echo \($deploy) | base64 -d > deploy.sh",
    "echo \($health) | base64 -d > health-checker.sh",
    "echo \($compose) | base64 -d > docker-compose.yml",
    "chmod +x deploy.sh health-checker.sh",
    "REGISTRY=\($registry) IMAGE_TAG=\($tag) AWS_REGION=\($region) IMAGE_REPOSITORY=\($repository) DEPLOY_DIR=\($dir) ./deploy.sh"
  ]'
