#!/usr/bin/env python3
"""Every example request in README.md and docs/, run against a live server as written, the way
scripts/checks/check-walkthrough.sh runs the README's walkthrough.

An example request is a fenced code block (outside the README's walkthrough, which check-walkthrough.sh runs) with a
`curl` command in it. The blocks of each file run in order, each in `bash -euo pipefail`, from the repository folder,
with the shell variables the file's earlier blocks set; every file starts from what the README's walkthrough leaves
(run first, as written: `$ADMIN`, `$ADA`, `$TAG`, `$BOOK`). In each block:

- `http://127.0.0.1:8000` becomes the test server's address (BOOKCAT_URL) and `.build/debug/bookcat` its command line
  (BOOKCAT_CLI, as in check-walkthrough.sh);
- every request must get an answer (no connection error) that is not a 5xx;
- a `# NNN` comment ending a curl command's line is the status that request must answer;
- a ```json block right after the example is what it must print: every field shown, with that value (fields it leaves
  out are not compared);
- an example that cannot run as written (another host, AWS, a value only the reader has) is marked on the line before
  its block, `<!-- example: not-run: REASON -->`. One that is not marked and cannot run fails the check: a request to
  any other address is refused before it runs.

Prints every example with what it did or why it did not run.
  scripts/checks/check-doc-examples.py                   a fresh server of its own (scripts/with-server.sh)
  BOOKCAT_URL=http://127.0.0.1:PORT BOOKCAT_CLI=COMMAND scripts/checks/check-doc-examples.py
                                                         a running server, whose database BOOKCAT_CLI reaches
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTED = "http://127.0.0.1:8000"
MARKER = re.compile(r"^\s*<!--\s*example:\s*not-run:\s*(\S.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
CURL = re.compile(r"(?<![\w./-])curl(?=\s)")
URL = re.compile(r"https?://[^\s\"'`)]+")
EXPECTED_STATUS = re.compile(r"#\s*([1-5]\d\d)\b")
# curl's exit codes for "no answer": the name, the connection, a timeout, TLS, nothing or garbage received.
NO_ANSWER = {5, 6, 7, 28, 35, 52, 55, 56}
# What the shell adds to the environment by itself: not carried from one block to the next.
SHELL_OWN = {"PWD", "OLDPWD", "SHLVL", "_", "BOOKCAT_CALLS", "BOOKCAT_STATE", "BOOKCAT_EXPECT"}

# Runs every curl through a wrapper that records, per request, curl's exit code, the status and the request line
# (with curl's own --write-out, sent to a file of its own so the example's output is untouched), and passes
# the example's own --write-out format on.
PRELUDE = r"""
set -a
trap 'env -0 >"$BOOKCAT_STATE"' EXIT
curl() {
    local arguments=() format="" errors code=0 record
    while [ "$#" -gt 0 ]; do
        case "$1" in
            -w | --write-out) format=$2; shift 2 ;;
            --write-out=*) format=${1#--write-out=}; shift ;;
            -w?*) format=${1#-w}; shift ;;
            *) arguments+=("$1"); shift ;;
        esac
    done
    errors=$(mktemp)
    command curl "${arguments[@]}" --write-out "${format}%{stderr}@@doc-example %{http_code} %{method} %{url_effective}\n" \
        2>"$errors" || code=$?
    record=$(grep -ao '@@doc-example .*' "$errors" | tail -n 1)
    sed 's/@@doc-example .*//' "$errors" | grep -v '^$' >&2 || true
    rm -f "$errors"
    printf '%s %s %s\n' "$code" "${BOOKCAT_EXPECT:--}" "${record#@@doc-example }" >>"$BOOKCAT_CALLS"
    return "$code"
}
"""


@dataclass
class Block:
    document: pathlib.Path
    line: int  # of the opening fence, from 1
    language: str
    text: str
    before: str  # the nearest non-blank line above the fence
    walkthrough: bool
    end: int = 0  # the closing fence's index in the file's lines, from 0
    shown_json: object = None  # the ```json block right after it, parsed, if any
    has_json: bool = False


@dataclass
class Outcome:
    block: Block
    ran: bool
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def documents() -> list[pathlib.Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(document: pathlib.Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, each with its indentation removed."""
    lines = document.read_text().split("\n")
    found: list[Block] = []
    walkthrough, index = False, 0
    while index < len(lines):
        line = lines[index]
        if "<!-- walkthrough:start -->" in line:
            walkthrough = True
        if "<!-- walkthrough:end -->" in line:
            walkthrough = False
        opening = FENCE.match(line)
        if not opening:
            index += 1
            continue
        indent, fence, language = opening.group(1), opening.group(2), opening.group(3).lower()
        body, index = [], index + 1
        while index < len(lines) and not re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[index]):
            body.append(lines[index][len(indent):] if lines[index].startswith(indent) else lines[index].lstrip())
            index += 1
        start = index - len(body)  # the opening fence's line number, from 1
        before = next((text for text in reversed(lines[: start - 1]) if text.strip()), "")
        found.append(Block(document, start, language, "\n".join(body), before, walkthrough, end=index))
        index += 1
    # A json block that follows another block with nothing but blank lines between is what that block prints.
    for previous, block in zip(found, found[1:]):
        between = lines[previous.end + 1 : block.line - 1]
        if block.language == "json" and all(not text.strip() for text in between):
            previous.has_json = True
            try:
                previous.shown_json = json.loads(block.text)
            except json.JSONDecodeError as error:
                previous.shown_json = error
    return found


def without_comment(line: str) -> str:
    """The line less a shell comment (a # at the start or after a space; good enough for documentation)."""
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0]


def commands(text: str) -> list[list[str]]:
    """The block's commands, each as its physical lines (a line ending in a backslash continues)."""
    grouped, current = [], []
    for line in text.split("\n"):
        current.append(line)
        if not without_comment(line).rstrip().endswith("\\"):
            grouped.append(current)
            current = []
    if current:
        grouped.append(current)
    return grouped


def is_example(block: Block) -> bool:
    if block.language in {"json", "python", "hcl", "yaml", "mermaid"}:
        return False
    return any(CURL.search(without_comment(line)) for line in block.text.split("\n"))


def cannot_run(block: Block) -> list[str]:
    """Why the block cannot run as written against the test server, if it cannot."""
    reasons = []
    for command in commands(block.text):
        code = " ".join(without_comment(line) for line in command)
        elsewhere = [url for url in URL.findall(code) if not url.startswith(DOCUMENTED)]
        reasons += [f"it asks {url}, not the local server ({DOCUMENTED})" for url in elsewhere]
        if CURL.search(code) and DOCUMENTED not in code and not elsewhere:
            reasons.append(f"`{code.strip()[:80]}` sends no request to {DOCUMENTED}")
    return reasons


def script(block: Block, url: str, cli: str) -> str:
    """The block as it runs: the test server's address and command line, and each shown status as BOOKCAT_EXPECT."""
    lines = []
    for command in commands(block.text):
        status = EXPECTED_STATUS.search(command[-1][len(without_comment(command[-1])) :])
        if status:
            for number, line in enumerate(command):
                if CURL.search(without_comment(line)):
                    command[number] = CURL.sub(f"BOOKCAT_EXPECT={status.group(1)} curl", line, count=1)
                    break
        lines.extend(command)
    return "\n".join(lines).replace(DOCUMENTED, url).replace(".build/debug/bookcat", cli)


def run(text: str, environment: dict[str, str]) -> tuple[subprocess.CompletedProcess, list[list[str]], dict[str, str]]:
    """Runs shell text; returns the process, the requests it made and the environment it left."""
    with tempfile.TemporaryDirectory() as work:
        calls, state = pathlib.Path(work, "calls"), pathlib.Path(work, "state")
        calls.touch()
        process = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", PRELUDE + "\n" + text],
            cwd=ROOT,
            env={**environment, "BOOKCAT_CALLS": str(calls), "BOOKCAT_STATE": str(state)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        requests = [line.split(" ", 4) for line in calls.read_text().splitlines()]
        left = environment
        if state.exists():
            pairs = (item.split("=", 1) for item in state.read_text().split("\0") if "=" in item)
            left = {name: value for name, value in pairs if name not in SHELL_OWN}
        return process, requests, left


def printed_json(stdout: str):
    """What the block printed, as JSON: all of it, or its last line."""
    for candidate in (stdout.strip(), (stdout.strip().splitlines() or [""])[-1]):
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    raise ValueError(f"it printed no JSON: {stdout.strip()[:300]!r}")


def differences(shown, printed, where: str = "") -> list[str]:
    """Where `printed` differs from `shown`: every field shown must be printed with that value."""
    if isinstance(shown, dict):
        if not isinstance(printed, dict):
            return [f"{where or 'the body'} is {json.dumps(printed)[:120]}, not an object"]
        return [d for key, value in shown.items() for d in (
            differences(value, printed[key], f"{where}.{key}") if key in printed else [f"{where}.{key} is missing"])]
    if isinstance(shown, list):
        if not isinstance(printed, list) or len(shown) != len(printed):
            return [f"{where or 'the body'} is {json.dumps(printed)[:120]}, not {len(shown)} items as shown"]
        return [d for index, (a, b) in enumerate(zip(shown, printed)) for d in differences(a, b, f"{where}[{index}]")]
    return [] if shown == printed else [f"{where or 'the body'} is {json.dumps(printed)[:120]}, shown as {json.dumps(shown)[:120]}"]


def check(block: Block, url: str, cli: str, environment: dict[str, str]) -> tuple[Outcome, dict[str, str]]:
    outcome = Outcome(block, ran=True)
    process, requests, left = run(script(block, url, cli), environment)
    if not requests:
        outcome.failures.append("it made no request")
    for request in requests:
        exit_code, expected, status, method, address = (request + [""] * 5)[:5]
        shown = address.replace(url, "") or address
        line = f"{method} {shown} -> {status}"
        code = int(exit_code) if exit_code.isdigit() else -1
        if code in NO_ANSWER or status in {"", "000"}:
            outcome.failures.append(f"{method} {shown}: no answer (curl exit {exit_code})")
        elif expected != "-" and status != expected:
            outcome.failures.append(f"{line}, where the documentation shows {expected}")
        elif expected == "-" and status.startswith("5"):
            outcome.failures.append(f"{line}: a server error")
        else:
            outcome.notes.append(line + (f" (shown: {expected})" if expected != "-" else ""))
    if process.returncode != 0:
        outcome.failures.append(f"a command failed (exit {process.returncode}): {process.stderr.strip()[-600:]}")
        if "unbound variable" in process.stderr:
            outcome.failures.append("an example may use what the walkthrough leaves ($ADMIN, $ADA, $TAG, $BOOK) and what "
                                    "the blocks above it in its file set; anything else is the reader's: mark it not-run")
    elif block.has_json:
        if isinstance(block.shown_json, json.JSONDecodeError):
            outcome.failures.append(f"the json block after it is not JSON: {block.shown_json}")
        else:
            try:
                found = differences(block.shown_json, printed_json(process.stdout))
            except ValueError as error:
                found = [str(error)]
            outcome.failures.extend(found)
            if not found:
                outcome.notes.append("printed what the json block after it shows")
    return outcome, left


def main() -> int:
    if not os.environ.get("BOOKCAT_URL"):
        os.execv(ROOT / "scripts/with-server.sh", [str(ROOT / "scripts/with-server.sh"), str(pathlib.Path(__file__).resolve())])
    url = os.environ["BOOKCAT_URL"].rstrip("/")
    cli = os.environ.get("BOOKCAT_CLI", ".build/debug/bookcat")

    everything = [block for document in documents() for block in blocks(document)]
    walkthrough = [block for block in everything if block.walkthrough and block.language in {"sh", "bash", "shell"}]
    if not walkthrough:
        sys.exit("no walkthrough found in README.md: the examples start from what it leaves")
    # The walkthrough, as written, for the state every example may use; check-walkthrough.sh checks what it prints.
    process, _, start = run("\n".join(script(block, url, cli) for block in walkthrough), dict(os.environ))
    if process.returncode != 0:
        sys.exit(f"the README's walkthrough, run first for the examples' state, failed:\n{process.stderr[-2000:]}")

    outcomes: list[Outcome] = []
    for document in documents():
        environment = start
        for block in blocks(document):
            if not is_example(block):
                continue
            where = block.document.relative_to(ROOT)
            if block.walkthrough:
                outcomes.append(Outcome(block, ran=False, notes=["the walkthrough: scripts/checks/check-walkthrough.sh runs it"]))
                continue
            marked = MARKER.match(block.before)
            if marked:
                outcomes.append(Outcome(block, ran=False, notes=[f"marked not-run: {marked.group(1)}"]))
                continue
            reasons = cannot_run(block)
            if reasons:
                outcomes.append(Outcome(block, ran=False, failures=[
                    *reasons, f"cannot run as written: mark it on the line before the block (<!-- example: not-run: REASON -->) or make it runnable ({where}:{block.line})"]))
                continue
            outcome, environment = check(block, url, cli, environment)
            outcomes.append(outcome)

    failed = [outcome for outcome in outcomes if outcome.failures]
    for outcome in outcomes:
        verdict = "FAILED " if outcome.failures else ("ran    " if outcome.ran else "not run")
        print(f"  {verdict} {outcome.block.document.relative_to(ROOT)}:{outcome.block.line}")
        for note in outcome.notes:
            print(f"            {note}")
        for failure in outcome.failures:
            print(f"            ! {failure}")
    ran = sum(1 for outcome in outcomes if outcome.ran and not outcome.failures)
    skipped = sum(1 for outcome in outcomes if not outcome.ran and not outcome.failures)
    if failed:
        print(f"doc examples: {len(failed)} of {len(outcomes)} failed", file=sys.stderr)
        return 1
    print(f"doc examples: {ran} ran as documented, {skipped} not run (each says why), in README.md and docs/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
