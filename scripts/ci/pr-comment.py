"""Prepares the integration summary's comment for pr-comment.yml, trusting nothing the pull request's own run wrote.

The artifact comes from the pull request's run, which a fork controls entirely: its `number` file could name any
pull request, and its summary could say anything. So the pull request is found from what GitHub itself reports
about the run (`workflow_run.head_repository`, `head_branch`, `head_sha`): the open pull requests of this
repository whose head is that branch of that repository, at exactly that commit. There must be exactly one. The
summary is shown as text: fenced (with a fence longer than any backtick run in it), truncated, with mentions and
HTML unable to render, under a heading this workflow writes.

Usage: pr-comment.py SUMMARY_FILE OUTPUT_FILE, with REPOSITORY, HEAD_OWNER, HEAD_BRANCH and HEAD_SHA in the
environment and `gh` authenticated. Prints the pull request number.
"""

import json
import os
import re
import subprocess
import sys

LIMIT = 60_000  # GitHub refuses comments over 65,536 characters

repository, head_owner, head_branch, head_sha = (os.environ[name] for name in ("REPOSITORY", "HEAD_OWNER", "HEAD_BRANCH", "HEAD_SHA"))
summary_path, output_path = sys.argv[1:3]
if not re.fullmatch(r"[0-9a-f]{40}", head_sha):
    sys.exit(f"not a commit: {head_sha!r}")

listing = subprocess.run(
    ["gh", "api", "--method", "GET", f"repos/{repository}/pulls", "-f", "state=open", "-f", f"head={head_owner}:{head_branch}", "--paginate"],
    capture_output=True, text=True, check=True,
).stdout
pulls = [pull for pull in json.loads(listing or "[]") if pull.get("head", {}).get("sha") == head_sha]
if len(pulls) != 1:
    sys.exit(f"expected one open pull request from {head_owner}:{head_branch} at {head_sha}, found {len(pulls)}")
number = int(pulls[0]["number"])

try:
    with open(summary_path, encoding="utf-8", errors="replace") as handle:
        summary = handle.read(LIMIT + 1)
except FileNotFoundError:
    summary = ""
summary = summary if summary.strip() else "(the run left no summary)"
truncated = len(summary) > LIMIT
summary = summary[:LIMIT]
# Inside a fence nothing renders: no HTML, links or images. Mentions would still notify people, so break them.
summary = summary.replace("@", "@\u200b")
longest = max((len(run) for run in re.findall(r"`+", summary)), default=0)
fence = "`" * max(3, longest + 1)
with open(output_path, "w", encoding="utf-8") as handle:
    handle.write(f"### Checks of {head_sha[:12]}\n\nAs the pull request's own run reported them:\n\n")
    handle.write(f"{fence}text\n{summary}\n{fence}\n")
    if truncated:
        handle.write(f"\n(truncated at {LIMIT:,} characters; the run's page has it all)\n")
print(number)
