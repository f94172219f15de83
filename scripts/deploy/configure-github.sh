#!/usr/bin/env bash
# Step 7 of the README's "Deployment to AWS" in one command: gives the repository its `production` environment with
# the one branch rule that lets only `main` deploy (created before any deploy can create the environment without
# it), and sets the Actions variables deployment.yml reads, from Terraform's outputs. Run it from the checkout, after
# `terraform apply`, with the GitHub CLI logged in as an admin of the repository. Safe to run again (after replacing
# the instance, say): it corrects what differs and adds nothing twice.
#   scripts/deploy/configure-github.sh OWNER/REPO [TERRAFORM_DIR]    (TERRAFORM_DIR: ./terraform if it exists, else .)
set -euo pipefail

repository=${1:?usage: scripts/deploy/configure-github.sh OWNER/REPO [TERRAFORM_DIR]}
default_dir=.
[ -d terraform ] && default_dir=terraform
terraform_dir=${2:-$default_dir}
environment=production
say() { echo "configure-github: $*"; }
fail() { echo "configure-github: $*" >&2; exit 1; }
[[ "$repository" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || fail "OWNER/REPO expected, not '$repository'"
command -v gh >/dev/null || fail "the GitHub CLI (gh) is not installed: https://cli.github.com"

output() { terraform -chdir="$terraform_dir" output -raw "$1" 2>/dev/null || fail "no Terraform output '$1' in $terraform_dir: run terraform apply first"; }
region=$(output region)
role=$(output deploy_role_arn)
instance=$(output instance_id)
ecr_repository=$(output ecr_repository_name)

# Only selected branches may deploy; then `main` is the one selected.
gh api --method PUT "repos/$repository/environments/$environment" --input - >/dev/null <<'JSON' ||
{"deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}}
JSON
    fail "could not create the $environment environment (are you an admin of $repository?)"
rules=$(gh api "repos/$repository/environments/$environment/deployment-branch-policies" --jq '.branch_policies[] | "\(.type // "branch") \(.name)"')
if grep -qx "branch main" <<<"$rules"; then
    say "$environment already admits main"
else
    gh api --method POST "repos/$repository/environments/$environment/deployment-branch-policies" \
        -f name=main -f type=branch >/dev/null || fail "could not add the branch rule for main"
    say "$environment admits main only"
fi
others=$(grep -vx "branch main" <<<"$rules" || true)
[ -z "$others" ] || say "note: $environment also admits: $(echo "$others" | tr '\n' ' ')(remove them in Settings → Environments unless you mean them)"

gh variable set AWS_REGION --repo "$repository" --body "$region" >/dev/null
gh variable set AWS_DEPLOY_ROLE_ARN --repo "$repository" --body "$role" >/dev/null
gh variable set DEPLOY_INSTANCE_ID --repo "$repository" --body "$instance" >/dev/null
gh variable set ECR_REPOSITORY --repo "$repository" --body "$ecr_repository" >/dev/null
say "variables set: AWS_REGION=$region AWS_DEPLOY_ROLE_ARN=$role DEPLOY_INSTANCE_ID=$instance ECR_REPOSITORY=$ecr_repository"

# For Terraform's github_repository_ids: repositories created or renamed from 2026-07-15 on get OIDC subjects with
# these ids, which the deploy role trusts only when it knows them.
ids=$(gh api "repos/$repository" --jq '"{ owner = \(.owner.id), repository = \(.id) }"')
say "github_repository_ids = $ids   (in prod.tfvars, then terraform apply, if not there yet)"
