#!/usr/bin/env python3
"""A GitHub Actions job's steps, as GitHub runs them in the job's container, written out as one bash script.

    job-steps.py script WORKFLOW JOB [--matrix NAME=VALUE]... [--replace TEXT=WITH]...
                                          prints the script (run it in a container of the job's image, in the
                                          checkout, as root)
    job-steps.py check                    every `uses:` of every workflow is pinned by SHA and its needs are listed in
                                          scripts/ci/action-needs.yml, every file a cache key hashes is committed, and
                                          the legs of integration.yml's test job run every group of scripts/test.sh
                                          --list, each once

GitHub runs each `run:` step as a file, with `bash --noprofile --norc -eo pipefail` for `shell: bash` and `sh -e`
otherwise, and each action with its own Node, which needs nothing from the image but what the action's source says
(`scripts/ci/action-needs.yml`, read at the pinned SHA): the script runs every `run:` step that way and, for every
`uses:` step, checks that what the action needs is on the image by the time it runs. A step's `if:` is evaluated
for a pull request, once for a job that has failed so far and once for one that has not. `--replace` swaps a command
in the `run:` steps (the fresh machine check runs the test command's quick path in its place).

A job with a matrix (`strategy.matrix.include`, one leg per entry) runs the leg `--matrix NAME=VALUE` chooses; without
one, every leg at once, as one job: `${{ matrix.NAME }}` in an `env:` value is every leg's value, space-separated (for
integration.yml's test job, every group of stages: the whole test command), and a step runs when its `if:` holds for
some leg.
"""

import pathlib
import re
import shlex
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
NEEDS = ROOT / "scripts" / "ci" / "action-needs.yml"
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})$")


def action_needs() -> dict[str, dict]:
    return yaml.safe_load(NEEDS.read_text())["actions"]


def check() -> int:
    """Every `uses:` pinned by full SHA and its needs read; a stale or unused entry is an error too."""
    needs = action_needs()
    failures, used = [], set()
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = yaml.safe_load(path.read_text())
        for job_name, job in workflow["jobs"].items():
            for index, step in enumerate(job.get("steps", []), 1):
                uses = step.get("uses")
                if uses is None:
                    continue
                where = f"{path.name} job {job_name} step {index}"
                if not PINNED.match(uses):
                    failures.append(f"{where}: {uses} is not pinned by a full commit SHA")
                elif action_key(uses) not in needs:
                    failures.append(f"{where}: {uses} is not in {NEEDS.relative_to(ROOT)}: read its source at that SHA "
                                    "(action.yml, dist/) and list what it needs from a job container's image")
                else:
                    used.add(action_key(uses))
        # A key that hashes a file the checkout lacks hashes nothing: a cache keyed on it misses or never changes.
        for pattern in (name for call in re.findall(r"hashFiles\(([^)]*)\)", path.read_text()) for name in re.findall(r"'([^']+)'", call)):
            tracked = subprocess.run(["git", "ls-files", "--", pattern], cwd=ROOT, capture_output=True, text=True)
            if tracked.returncode != 0:
                raise SystemExit(f"job-steps.py: git ls-files failed: {tracked.stderr.strip()}")
            if not tracked.stdout.strip():
                failures.append(f"{path.name}: hashFiles('{pattern}') matches no committed file")
    for stale in sorted(set(needs) - used):
        failures.append(f"{NEEDS.relative_to(ROOT)}: {stale} is pinned by no workflow")
    groups = test_legs_cover_the_stages(failures)
    for failure in failures:
        print(failure, file=sys.stderr)
    if not failures:
        print(f"actions: {len(used)} pinned by SHA, each with what it needs from the image")
        print(f"integration.yml job test: one leg per group of scripts/test.sh --list ({', '.join(groups)})")
    return 1 if failures else 0


def test_legs_cover_the_stages(failures: list[str]) -> list[str]:
    """integration.yml's test job runs `./scripts/test.sh` once per leg with the leg's group in BOOKCAT_TEST_STAGES:
    its legs must name every group of stages once, so that every stage runs in CI and none twice. Returns the groups."""
    listing = subprocess.run(["bash", "scripts/test.sh", "--list"], cwd=ROOT, capture_output=True, text=True)
    if listing.returncode != 0:
        raise SystemExit(f"job-steps.py: scripts/test.sh --list failed: {listing.stderr.strip()}")
    groups = list(dict.fromkeys(line.split()[1] for line in listing.stdout.splitlines() if line.strip() and not line.startswith("#")))
    job = yaml.safe_load((WORKFLOWS / "integration.yml").read_text())["jobs"].get("test", {})
    legs = [leg.get("group") for leg in matrix_legs(job, "integration.yml job test")]
    if sorted(map(str, legs)) != sorted(groups):
        failures.append(f"integration.yml job test: its legs run the groups {legs}, and scripts/test.sh --list has {groups}: "
                        "one leg per group (strategy.matrix.include), so that every stage runs once")
    if job.get("env", {}).get("BOOKCAT_TEST_STAGES") != "${{ matrix.group }}":
        failures.append("integration.yml job test: its env must set BOOKCAT_TEST_STAGES to ${{ matrix.group }}, the groups its legs name")
    return groups


def action_key(uses: str) -> str:
    match = PINNED.match(uses)
    return f"{match['action']}@{match['sha']}"


STATUS_FUNCTIONS = ("success()", "failure()", "always()", "cancelled()")
STEP_KEYS = {"name", "id", "uses", "with", "run", "shell", "if", "env"}


def condition(expression: str | None, failed: bool) -> bool:
    """Evaluates the subset of GitHub's expressions the workflows use, for a pull request. As on GitHub, a condition
    without a status function runs only while every step before it succeeded."""
    if expression is None:
        return not failed
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    if not any(function in text for function in STATUS_FUNCTIONS):
        text = f"success() && ({text})"
    python = (
        text.replace("&&", " and ").replace("||", " or ")
        .replace("always()", "True").replace("success()", "(not failed)").replace("failure()", "failed")
        .replace("cancelled()", "False").replace("github.event_name", "'pull_request'")
    )
    words = set(re.findall(r"[A-Za-z_.]+(?:\(\))?", re.sub(r"'[^']*'", "", python)))
    if not words <= {"and", "or", "not", "True", "False", "failed"} or not re.fullmatch(r"[\w\s()'=!-]*", python):
        raise SystemExit(f"job-steps.py: cannot evaluate the step condition {expression!r}: teach condition() it")
    return bool(eval(python, {"__builtins__": {}}, {"failed": failed}))  # noqa: S307 - only the words allowed above


MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")
MATRIX_NAME = re.compile(r"\bmatrix\.([\w-]+)")


def plain(value: str, where: str, legs: list[dict] | None = None) -> str:
    """VALUE with each `${{ matrix.NAME }}` replaced by the legs' values; any other expression is refused."""
    def joined(match: re.Match) -> str:
        values = [str(leg[match[1]]) for leg in legs or [] if leg.get(match[1]) not in (None, "")]
        return " ".join(dict.fromkeys(values))

    value = MATRIX_EXPRESSION.sub(joined, value) if legs is not None else value
    if "${{" in value:
        raise SystemExit(f"job-steps.py: {where} holds an expression ({value!r}), which this cannot evaluate")
    return value


def matrix_legs(job: dict, where: str) -> list[dict]:
    """A job's legs: one per `strategy.matrix.include` entry; a job without a matrix has one, with no values."""
    matrix = job.get("strategy", {}).get("matrix")
    if matrix is None:
        return [{}]
    if not isinstance(matrix, dict) or set(matrix) != {"include"}:
        raise SystemExit(f"job-steps.py: {where} has a matrix other than `include:` entries, which this does not run: teach it")
    return [dict(leg) for leg in matrix["include"]]


def leg_condition(expression: str | None, failed: bool, legs: list[dict]) -> bool:
    """Whether a step runs in any of LEGS: condition() with each `matrix.NAME` read as that leg's value."""
    if expression is None or "matrix." not in expression:
        return condition(expression, failed)

    def value(leg: dict, match: re.Match) -> str:
        text = str(leg.get(match[1], ""))
        if "'" in text:
            raise SystemExit(f"job-steps.py: the matrix value {text!r} has a quote, which condition() cannot hold")
        return f"'{text}'"

    return any(condition(MATRIX_NAME.sub(lambda match: value(leg, match), expression), failed) for leg in legs)


def script(workflow_path: str, job_name: str, replacements: list[tuple[str, str]], chosen: dict[str, str]) -> str:
    workflow = yaml.safe_load((ROOT / workflow_path).read_text())
    job = workflow["jobs"][job_name]
    needs = action_needs()
    legs = matrix_legs(job, f"{workflow_path} job {job_name}")
    if chosen:
        legs = [leg for leg in legs if all(str(leg.get(name)) == value for name, value in chosen.items())]
        if len(legs) != 1:
            raise SystemExit(f"job-steps.py: {workflow_path} job {job_name} has {len(legs)} legs with {chosen}, not one")
    which = " (every leg at once)" if len(legs) > 1 else f" (the leg {legs[0]})" if legs[0] else ""
    lines = [
        "#!/usr/bin/env bash",
        f"# The steps of {workflow_path} job {job_name}{which}, as GitHub runs them in its container (scripts/ci/job-steps.py).",
        "set -u",
        "failed=0",
        'say() { echo "job step: $*"; }',
        "need() {",
        '    if command -v "$2" >/dev/null 2>&1; then return 0; fi',
        '    say "$1 needs $2 from the image, which does not have it ($3)"; failed=1',
        "}",
        "mkdir -p \"$(dirname \"$GITHUB_STEP_SUMMARY\")\" && : >>\"$GITHUB_STEP_SUMMARY\"",
        # What a step writes to these files reaches the steps after it, as on GitHub (single-line NAME=value only).
        'export GITHUB_ENV="$RUNNER_TEMP/github_env" GITHUB_PATH="$RUNNER_TEMP/github_path"',
        ': >"$GITHUB_ENV"; : >"$GITHUB_PATH"',
        "carry() {",
        '    while IFS= read -r dir; do [ -z "$dir" ] || PATH="$dir:$PATH"; done <"$GITHUB_PATH"',
        '    while IFS= read -r line; do case $line in *=*) export "${line%%=*}=${line#*=}" ;; esac; done <"$GITHUB_ENV"',
        '    : >"$GITHUB_ENV"; : >"$GITHUB_PATH"',
        "}",
    ]
    for key, value in {**workflow.get("env", {}), **job.get("env", {})}.items():
        lines.append(f"export {key}={shlex.quote(plain(str(value), 'an env value', legs))}")
    shell_default = job.get("defaults", {}).get("run", {}).get("shell") or workflow.get("defaults", {}).get("run", {}).get("shell")
    for index, step in enumerate(job["steps"], 1):
        name = step.get("name") or step.get("uses") or f"step {index}"
        label = f"step {index} ({name})"
        unknown = set(step) - STEP_KEYS
        if unknown:
            raise SystemExit(f"job-steps.py: {label} uses {sorted(unknown)}, which this does not run as GitHub would: teach it")
        when_ok, when_failed = leg_condition(step.get("if"), False, legs), leg_condition(step.get("if"), True, legs)
        guard = "true" if when_ok and when_failed else '[ "$failed" = 0 ]' if when_ok else '[ "$failed" = 1 ]' if when_failed else "false"
        lines.append(f"if {guard}; then")
        lines.append(f"    say {shlex.quote('start ' + label)}")
        if "uses" in step:
            entry = needs[action_key(step["uses"])]
            for executable in entry.get("needs", []):
                lines.append(f"    need {shlex.quote(label)} {shlex.quote(executable)} {shlex.quote(entry['why'])}")
        else:
            body = step["run"]
            if "${{" in body:
                raise SystemExit(f"job-steps.py: {label} has an expression in its run: text, which this cannot run")
            for old, new in replacements:
                body = body.replace(old, new)
            # In a job container, GitHub's runner runs a step without a shell with `sh -e` (ScriptHandler.cs), not bash.
            shell = step.get("shell", shell_default)
            command = "bash --noprofile --norc -eo pipefail" if shell == "bash" else "sh -e" if shell in (None, "sh") else None
            if command is None:
                raise SystemExit(f"job-steps.py: {label} uses shell {shell!r}, which this does not know")
            environment = " ".join(f"{key}={shlex.quote(plain(str(value), label + ' env', legs))}" for key, value in step.get("env", {}).items())
            lines.append(f"    step_file=$(mktemp) && printf '%s\\n' {shlex.quote(body)} >\"$step_file\"")
            lines.append(f"    env {environment} {command} \"$step_file\" || {{ say {shlex.quote(label + ' failed')}; failed=1; }}")
            lines.append("    carry")
        lines.append("fi")
    lines.append('[ "$failed" = 0 ] && say "every step passed" || say "the job failed"')
    lines.append('exit "$failed"')
    return "\n".join(lines) + "\n"


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["check"]:
        return check()
    if arguments[:1] == ["script"] and len(arguments) >= 3:
        replacements, chosen = [], {}
        rest = arguments[3:]
        while rest[:1] in (["--replace"], ["--matrix"]) and len(rest) >= 2 and "=" in rest[1]:
            old, new = rest[1].split("=", 1)
            if rest[0] == "--replace":
                replacements.append((old, new))
            else:
                chosen[old] = new
            rest = rest[2:]
        if not rest:
            sys.stdout.write(script(arguments[1], arguments[2], replacements, chosen))
            return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
