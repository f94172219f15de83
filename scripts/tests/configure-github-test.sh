#!/usr/bin/env bash
# scripts/deploy/configure-github.sh against recording fakes of `gh` (canned GitHub answers, its --jq applied by the real
# jq) and `terraform` (canned outputs): the environment gets exactly one rule for main, the variables are Terraform's,
# and a private repository on GitHub Free, which can have no such rule, is stopped with what to do.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/tests/fakes.sh
source scripts/tests/fakes.sh
make_work

fake_gh <<'FAKE'
call="gh $*"
[[ " $* " == *" --input - "* ]] && call+=" <<< $(cat)"
echo "$call" >>"$FAKE_LOG"
# FAKE_PRIVATE, FAKE_OWNER_TYPE (Organization or User) and FAKE_PLAN (free, team, …; "" when hidden) describe the
# repository; FAKE_NO_BRANCH_RULES=1 answers as GitHub does where the plan has no environment branch rules.
no_rules() { [ "${FAKE_NO_BRANCH_RULES:-0}" = 1 ] && { echo "HTTP 422: Validation Failed" >&2; exit 1; }; }
plan=${FAKE_PLAN:+"{\"name\": \"$FAKE_PLAN\"}"}
case "$*" in
    *deployment-branch-policies*--method\ POST* | *--method\ POST*deployment-branch-policies*) no_rules; answer='{"id": 9}' ;;
    *deployment-branch-policies*) no_rules; answer=${FAKE_RULES:-'{"total_count": 0, "branch_policies": []}'} ;;
    *--method\ PUT*environments*) [ "${FAKE_NOT_ADMIN:-0}" = 1 ] && { echo "HTTP 403" >&2; exit 1; }; no_rules; answer='{}' ;;
    "api repos/"*) answer="{\"id\": 5678, \"private\": ${FAKE_PRIVATE:-false}, \"owner\": {\"id\": 1234, \"login\": \"example-org\", \"type\": \"${FAKE_OWNER_TYPE:-Organization}\"}}" ;;
    "api orgs/example-org"*) answer="{\"login\": \"example-org\", \"plan\": ${plan:-null}}" ;;
    "api user"*) answer="{\"login\": \"example-org\", \"plan\": ${plan:-null}}" ;;
    *) answer="" ;;
esac
FAKE
cat >"$work/bin/terraform" <<'FAKE'
#!/usr/bin/env bash
echo "terraform $*" >>"$FAKE_LOG"
case "${*: -1}" in
    region) echo eu-west-1 ;;
    deploy_role_arn) echo arn:aws:iam::123456789012:role/bookcat-github-deploy ;;
    instance_id) [ "${FAKE_NO_STATE:-0}" = 1 ] && exit 1; echo i-0123456789abcdef0 ;;
    ecr_repository_name) echo bookcat ;;
    *) exit 1 ;;
esac
FAKE
chmod +x "$work/bin/terraform"

configure() {
    record env PATH="$work/bin:$PATH" FAKE_LOG="$work/calls.log" "$@" scripts/deploy/configure-github.sh example-org/bookcat
}

configure
check "a new repository is configured" [ "$status" -eq 0 ]
check "production lets only selected branches deploy" called 'gh api --method PUT repos/example-org/bookcat/environments/production --input - <<< {"deployment_branch_policy": {"protected_branches": false, "custom_branch_policies": true}}'
check "and main is the one selected" called "gh api --method POST repos/example-org/bookcat/environments/production/deployment-branch-policies -f name=main -f type=branch"
check "the region comes from Terraform" called "gh variable set AWS_REGION --repo example-org/bookcat --body eu-west-1"
check "the deploy role comes from Terraform" called "gh variable set AWS_DEPLOY_ROLE_ARN --repo example-org/bookcat --body arn:aws:iam::123456789012:role/bookcat-github-deploy"
check "the instance comes from Terraform" called "gh variable set DEPLOY_INSTANCE_ID --repo example-org/bookcat --body i-0123456789abcdef0"
check "the registry's repository comes from Terraform" called "gh variable set ECR_REPOSITORY --repo example-org/bookcat --body bookcat"
check "the ids for github_repository_ids are printed" grep -qF "github_repository_ids = { owner = 1234, repository = 5678 }" "$work/out.log"

configure FAKE_RULES='{"total_count": 2, "branch_policies": [{"name": "main", "type": "branch"}, {"name": "release/*", "type": "branch"}]}'
check "run again: succeeds" [ "$status" -eq 0 ]
check "run again: main is not added twice" not_called "--method POST"
check "another rule is pointed out" grep -qF "also admits: branch release/*" "$work/out.log"

configure FAKE_NOT_ADMIN=1
check "without admin rights: fails" [ "$status" -eq 1 ]
check "without admin rights: sets no variable" not_called "gh variable set"

configure FAKE_NO_STATE=1
check "before terraform apply: fails" [ "$status" -eq 1 ]
check "before terraform apply: touches nothing on GitHub" not_called "gh "
check "before terraform apply: says so" grep -qF "run terraform apply first" "$work/out.log"
# GitHub Free: a private repository's environments get no deployment branch rules, so the one restriction on which
# branch may deploy cannot exist. It must stop and say what to do, not blame admin rights.
for owner_type in Organization User; do
    configure FAKE_PRIVATE=true FAKE_OWNER_TYPE=$owner_type FAKE_PLAN=free FAKE_NO_BRANCH_RULES=1
    check "private on GitHub Free ($owner_type): fails" [ "$status" -eq 1 ]
    check "private on GitHub Free ($owner_type): says why" grep -qF "on GitHub Free a private repository's environments cannot have deployment branch rules" "$work/out.log"
    check "private on GitHub Free ($owner_type): says what to do" grep -qF "Make the repository public, or upgrade the owner's plan" "$work/out.log"
    check "private on GitHub Free ($owner_type): does not blame admin rights" not_in_output "are you an admin"
    check "private on GitHub Free ($owner_type): creates no environment" not_called "--method PUT"
    check "private on GitHub Free ($owner_type): sets no variable" not_called "gh variable set"
done
configure FAKE_PRIVATE=true FAKE_PLAN="" FAKE_NO_BRANCH_RULES=1
check "private, plan hidden, rule refused: fails" [ "$status" -eq 1 ]
check "private, plan hidden, rule refused: names GitHub Free as the likely cause" grep -qF "If the owner is on GitHub Free" "$work/out.log"
check "private, plan hidden, rule refused: sets no variable" not_called "gh variable set"
configure FAKE_PRIVATE=true FAKE_PLAN=team
check "private on GitHub Team: configured" [ "$status" -eq 0 ]
check "private on GitHub Team: main is the one selected" called "deployment-branch-policies -f name=main -f type=branch"
configure
check "public: the plan is not asked" not_called "api orgs/"
report "configure-github"
