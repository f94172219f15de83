#!/usr/bin/env bash
# Step 7 of docs/deployment-aws.md in one command: gives the repository its `production` environment with
# the one branch rule that lets only `main` deploy (created before any deploy can create the environment without
# it), and sets the Actions variables deployment.yml reads, from Terraform's outputs. Run it from the checkout, after
# `terraform apply`, with the GitHub CLI logged in as an admin of the repository. Safe to run again (after replacing
# the instance, say): it corrects what differs and adds nothing twice. Where GitHub cannot keep that rule (a private
# repository on GitHub Free) it stops and says what to do.
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

# GitHub Free gives environments with deployment branch rules to public repositories only (private ones need Pro,
# Team or Enterprise), and without the rule any branch could deploy: a private repository on Free stops here, before
# anything changes. The owner's plan is visible to the owner only (the user, or an organization's owners); when it is
# hidden, a refusal below is explained the same way.
repo=$(gh api "repos/$repository" --jq '"\(.private) \(.owner.type) \(.owner.login) \(.owner.id) \(.id)"') ||
    fail "could not read $repository on GitHub (does it exist, and is gh logged in?)"
read -r private owner_type owner owner_id repository_id <<<"$repo"
free_private="$repository is private, and on GitHub Free a private repository's environments cannot have deployment branch rules (they need GitHub Pro, Team or Enterprise): without the rule any branch could deploy. Make the repository public, or upgrade the owner's plan, then run this again"
if [ "$private" = true ]; then
    if [ "$owner_type" = Organization ]; then
        plan=$(gh api "orgs/$owner" --jq '.plan.name // ""' 2>/dev/null || true)
    else
        plan=$(gh api user --jq "if .login == \"$owner\" then .plan.name // \"\" else \"\" end" 2>/dev/null || true)
    fi
    [ "$plan" != free ] || fail "$free_private; nothing was changed"
fi
# refused WHAT: GitHub said no; on a private repository the likeliest reason is the plan.
refused() {
    [ "$private" != true ] || fail "GitHub refused $1. If the owner is on GitHub Free: $free_private. Otherwise check that you are an admin of $repository. No variable was set, so nothing deploys"
    fail "GitHub refused $1 (are you an admin of $repository?); no variable was set, so nothing deploys"
}

# Only selected branches may deploy; then `main` is the one selected.
gh api --method PUT "repos/$repository/environments/$environment" --input - >/dev/null <<'JSON' ||
{"deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}}
JSON
    refused "the $environment environment with a deployment branch rule"
rules=$(gh api "repos/$repository/environments/$environment/deployment-branch-policies" --jq '.branch_policies[] | "\(.type // "branch") \(.name)"') ||
    refused "to list the deployment branch rules of $environment"
if grep -qx "branch main" <<<"$rules"; then
    say "$environment already admits main"
else
    gh api --method POST "repos/$repository/environments/$environment/deployment-branch-policies" \
        -f name=main -f type=branch >/dev/null || refused "the deployment branch rule for main"
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
say "github_repository_ids = { owner = $owner_id, repository = $repository_id }   (required in prod.tfvars: check they match, then terraform apply)"
