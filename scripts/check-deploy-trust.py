"""The deploy role can be assumed by the deploy job: the OIDC subject GitHub issues to that job equals the subject
the role's trust policy requires.

Both sides are parsed, not grepped: the workflow with YAML (the job that configures AWS credentials, and the
`environment` it declares, which is what GitHub puts in the subject instead of the branch), the Terraform with
python-hcl2 (the `sub` condition of aws_iam_role.deploy, through the locals and variable defaults it refers to).
A job with `environment: production` gets `repo:OWNER/REPO:environment:production`; a policy that asks for
`…:ref:refs/heads/main` then refuses every deploy.
"""

import ast
import pathlib
import re
import sys

import hcl2
import yaml

root = pathlib.Path(__file__).resolve().parent.parent
repository = "OWNER/REPO"  # stands for var.github_repository, which has no default


def load(name: str) -> dict:
    with (root / "terraform" / name).open() as handle:
        return hcl2.load(handle)


def first(value):
    return value[0] if isinstance(value, list) else value


# --- what the trust policy requires -------------------------------------------------------------------------

iam = load("iam.tf")
variables = {name: first(body.get("default")) for block in load("variables.tf")["variable"] for name, body in block.items()}
variables["github_repository"] = repository
locals_ = {name: first(value) for block in iam.get("locals", []) for name, value in block.items() if not name.startswith("__")}

role = next(block["aws_iam_role"]["deploy"] for block in iam["resource"] if "deploy" in block.get("aws_iam_role", {}))
policy_expression = first(role["assume_role_policy"])
match = re.fullmatch(r"\$\{jsonencode\((.*)\)\}", policy_expression, re.DOTALL)
if not match:
    sys.exit(f"aws_iam_role.deploy's assume_role_policy is not a jsonencode() of a literal: {policy_expression[:80]}")
policy = ast.literal_eval(match.group(1))


def resolve(text: str) -> str:
    """Substitutes ${local.x} and ${var.x} until none is left."""
    for _ in range(5):
        text = re.sub(r"\$\{local\.(\w+)\}", lambda m: locals_[m.group(1)], text)
        text = re.sub(r"\$\{var\.(\w+)\}", lambda m: str(variables[m.group(1)]), text)
    if "${" in text:
        sys.exit(f"cannot resolve {text}")
    return text


required = set()
for statement in policy["Statement"]:
    if statement.get("Action") != "sts:AssumeRoleWithWebIdentity":
        continue
    for operator in ("StringEquals", "StringLike"):
        sub = statement.get("Condition", {}).get(operator, {}).get("token.actions.githubusercontent.com:sub")
        if sub:
            for value in sub if isinstance(sub, list) else [sub]:
                required.add((operator, resolve(value)))
if not required:
    sys.exit("the deploy role's trust policy has no token.actions.githubusercontent.com:sub condition: any repository could assume it")

# --- what GitHub issues to the deploy job -------------------------------------------------------------------

workflow = yaml.safe_load((root / ".github/workflows/deployment.yml").read_text())
subjects = {}
for name, job in workflow["jobs"].items():
    if not any("aws-actions/configure-aws-credentials" in str(step.get("uses", "")) for step in job.get("steps", [])):
        continue
    environment = job.get("environment")
    environment = environment.get("name") if isinstance(environment, dict) else environment
    # Without an environment the subject names the ref; workflow_run and workflow_dispatch run on main here.
    subjects[name] = f"repo:{repository}:environment:{environment}" if environment else f"repo:{repository}:ref:refs/heads/main"
if not subjects:
    sys.exit("no job in deployment.yml configures AWS credentials")


def accepted(subject: str) -> bool:
    for operator, value in required:
        if operator == "StringEquals" and subject == value:
            return True
        if operator == "StringLike" and re.fullmatch(re.escape(value).replace(r"\*", ".*").replace(r"\?", "."), subject):
            return True
    return False


refused = {job: subject for job, subject in subjects.items() if not accepted(subject)}
if refused:
    print("the deploy role's trust policy refuses the deploy job:", file=sys.stderr)
    for job, subject in refused.items():
        print(f"  job '{job}' gets subject {subject}", file=sys.stderr)
    print(f"  the policy requires {sorted(value for _, value in required)}", file=sys.stderr)
    sys.exit(1)
for job, subject in subjects.items():
    print(f"deploy trust: job '{job}' gets {subject}, which the deploy role accepts")
