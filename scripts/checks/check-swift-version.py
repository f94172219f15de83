"""One Swift version everywhere: the one in .swift-version, which the project is developed and formatted with.

Reads each place that names a Swift version and fails, listing every mismatch, when one differs: Package.swift's
tools version, the integration workflow's container image, the Dockerfile's default builder, the README's
quickstart, every `swift:X.Y` image the README and docs/ name (not docs/decisions/, which records what was), and the
`swift` on this machine. A package that needs a newer toolchain than CI's stops CI at
dependency resolution, so a mismatch here is a broken pipeline, not a style issue.
"""

import pathlib
import re
import subprocess
import sys

import yaml

root = pathlib.Path(__file__).resolve().parents[2]
expected = (root / ".swift-version").read_text().strip()


def major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


found: dict[str, str | None] = {}

tools = re.match(r"// swift-tools-version:\s*([0-9.]+)", (root / "Package.swift").read_text())
found["Package.swift tools version"] = tools and major_minor(tools.group(1))

workflow = yaml.safe_load((root / ".github/workflows/integration.yml").read_text())
for name, job in workflow["jobs"].items():
    container = job.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    if image and image.startswith("swift:"):
        tag = re.match(r"swift:([0-9.]+)", image)
        found[f"integration.yml job '{name}' container ({image})"] = tag and major_minor(tag.group(1))

build_image = re.search(r"^ARG BUILD_IMAGE=swift:([0-9.]+)", (root / "Dockerfile").read_text(), re.MULTILINE)
found["Dockerfile BUILD_IMAGE default"] = build_image and major_minor(build_image.group(1))

quickstart = re.search(r"with Swift ([0-9.]+) installed", (root / "README.md").read_text())
found["README quickstart"] = quickstart and major_minor(quickstart.group(1))

documents = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
for document in [path for path in documents if "decisions" not in path.relative_to(root).parts]:
    for image in sorted(set(re.findall(r"\bswift:([0-9]+\.[0-9]+)", document.read_text()))):
        found[f"{document.relative_to(root)} (swift:{image})"] = image

local = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout
local_version = re.search(r"Swift version ([0-9.]+)", local)
found["swift on this machine"] = local_version and major_minor(local_version.group(1))

mismatches = {place: version for place, version in found.items() if version != expected}
if mismatches:
    print(f"Swift versions differ from .swift-version ({expected}):", file=sys.stderr)
    for place, version in mismatches.items():
        print(f"  {place}: {version or 'not found'}", file=sys.stderr)
    sys.exit(1)
print(f"Swift {expected} everywhere: " + ", ".join(found))
