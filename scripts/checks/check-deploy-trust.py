"""The deploy role can be assumed by the deploy job, and by nothing else: the OIDC subject GitHub issues to that job
matches exactly one statement of the role's trust policy, in both of GitHub's subject forms, and another
repository's subject matches none.

GitHub's subjects: a job with `environment: production` gets `repo:OWNER/REPO:environment:production`, or, for a
repository created or renamed from 2026-07-15 on, the immutable `repo:OWNER@OWNER_ID/REPO@REPO_ID:environment:…`.
The workflow is parsed with YAML (the job that configures AWS credentials and its `environment`). The policy is
rendered by Terraform itself (`terraform console` in the initialised copy of the module that scripts/checks/check-infra.sh
passes as TERRAFORM_DIR), so what is checked is what AWS would get; without `github_repository_ids`, which a
repository created from 2026-07-15 on cannot do without, Terraform must refuse to render it and say how to get them.
Without Terraform it says SKIPPED for the rendering and still checks the environment against the variable default.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import yaml

import checks
import hcl

root = pathlib.Path(__file__).resolve().parents[2]
owner, name, owner_id, repository_id = "octo-org", "bookcat", 1234, 5678
repository = f"{owner}/{name}"


def load(file: str) -> dict:
    return hcl.load(root / "terraform" / file)


first = hcl.first

# --- what the trust policy requires -------------------------------------------------------------------------

iam = load("iam.tf")
variables = {name: first(body.get("default")) for block in load("variables.tf")["variable"] for name, body in block.items()}
role = next(block["aws_iam_role"]["deploy"] for block in iam["resource"] if "deploy" in block.get("aws_iam_role", {}))
policy_expression = first(role["assume_role_policy"])
if "StringLike" in policy_expression:
    sys.exit("the deploy role's trust policy uses StringLike: a pattern can match another repository's subject")
# Whichever parser read it (checkov's bc-python-hcl2 shadows python-hcl2 in .venv), quoted in ' or ".
if not re.search(r"token\.actions\.githubusercontent\.com:sub['\"]\W+(\$\{)?local\.github_deploy_subjects\b", policy_expression):
    sys.exit("the deploy role's sub condition must be exactly local.github_deploy_subjects, which this check renders")


def render_subjects(with_ids: bool) -> subprocess.CompletedProcess | None:
    """`terraform console` rendering local.github_deploy_subjects for the test repository, or None without Terraform."""
    directory = os.environ.get("TERRAFORM_DIR")
    if not directory:
        return None
    arguments = ["-var", f"github_repository={repository}", "-var", "api_allowed_cidr=203.0.113.0/24"]
    if with_ids:
        arguments += ["-var", f"github_repository_ids={{owner={owner_id},repository={repository_id}}}"]
    return subprocess.run(
        ["terraform", "console", "-no-color", *arguments], cwd=directory, input="jsonencode(local.github_deploy_subjects)\n",
        capture_output=True, text=True, env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )


def trusted_subjects() -> list[str] | None:
    """The subjects the role trusts with the repository's ids, as Terraform renders them, or None without Terraform."""
    rendered = render_subjects(True)
    if rendered is None:
        return None
    rendered.check_returncode()
    return json.loads(json.loads(rendered.stdout.strip().splitlines()[-1]))


def refused_without_ids() -> bool | None:
    """Whether Terraform refuses the module without github_repository_ids, saying how to get them."""
    rendered = render_subjects(False)
    if rendered is None:
        return None
    return rendered.returncode != 0 and "gh api repos/OWNER/NAME" in " ".join(rendered.stderr.split())


# --- what GitHub issues to the deploy job -------------------------------------------------------------------

workflow = yaml.safe_load((root / ".github/workflows/deployment.yml").read_text())
environments = {}
for job_name, job in workflow["jobs"].items():
    if not any("aws-actions/configure-aws-credentials" in str(step.get("uses", "")) for step in job.get("steps", [])):
        continue
    environment = job.get("environment")
    environment = environment.get("name") if isinstance(environment, dict) else environment
    if not environment:
        sys.exit(f"job '{job_name}' configures AWS credentials without an environment: its subject would name a ref")
    environments[job_name] = environment
if not environments:
    sys.exit("no job in deployment.yml configures AWS credentials")

failures = []
passed = []
for job_name, environment in environments.items():
    if environment != variables["github_environment"]:
        failures.append(f"job '{job_name}' runs in environment {environment}, the role trusts {variables['github_environment']}")
    name_only = f"repo:{repository}:environment:{environment}"
    immutable = f"repo:{owner}@{owner_id}/{name}@{repository_id}:environment:{environment}"
    strangers = [f"repo:{owner}/other:environment:{environment}", f"repo:{owner}@{owner_id}/{name}@9999:environment:{environment}",
                 f"repo:evil@{owner_id}/{name}@{repository_id}:environment:{environment}", f"repo:{repository}:ref:refs/heads/main"]
    trusted, refused = trusted_subjects(), refused_without_ids()
    if trusted is None or refused is None:
        print("SKIPPED: rendering the deploy role's trust policy (needs Terraform with the AWS provider: TERRAFORM_DIR)")
        continue
    if not refused:
        failures.append("without github_repository_ids Terraform must refuse the plan and say how to get the ids "
                        "(gh api repos/OWNER/NAME …): a new repository's deploy job gets only the immutable subject")
    # One statement holds the sub condition; StringEquals with a list matches when the subject equals one item.
    if sorted(trusted) != sorted([name_only, immutable]):
        failures.append(f"the role trusts {trusted}, expected exactly {[name_only, immutable]}")
    for stranger in strangers:
        if stranger in trusted:
            failures.append(f"the role trusts another repository's or ref's subject {stranger}")
    passed.append(f"deploy trust: job '{job_name}' gets {name_only} (or {immutable} with immutable subjects); the role trusts "
          f"exactly those, and none of {len(strangers)} other repositories' or refs' subjects; without the ids Terraform refuses")
checks.fail_if_any(failures, "the deploy role's trust policy and the deploy job disagree")
for line in passed:
    print(line)
