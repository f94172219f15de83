"""Moves the Swift package pins forward: the direct dependencies' exact versions in a manifest and every resolved
package's version in the Package.pins beside it.

  python3 scripts/generate/pin-dependencies.py --update [FOLDER]   # FOLDER: . (default) or Benchmarks

It resolves a scratch copy of the manifest whose exact versions are loosened to `from:` (the newest release of the
same major version each package's mirror or remote has), then writes the versions that resolved back: exact pins in
Package.swift, every package in Package.pins. Run ./scripts/test.sh afterwards and commit both files. Builds never
resolve on their own: scripts/generate/write-package-resolved.sh writes Package.resolved from Package.pins first and
`swift build --force-resolved-versions` refuses anything else (docs/decisions/0003-package-pins.md).
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parents[2]
PIN = re.compile(r'\.package\(url: "(?P<url>[^"]+)", (?P<kind>exact|from): "(?P<version>[^"]+)"(?P<rest>(, traits: \[[^\]]*\])?)\)')


def identity(url: str) -> str:
    return url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1].lower()


def update(folder: pathlib.Path) -> int:
    manifest_path = folder / "Package.swift"
    pins_path = folder / "Package.pins"
    manifest = manifest_path.read_text()
    with tempfile.TemporaryDirectory() as scratch:
        # The whole tree: a manifest may depend on its parent folder's package (Benchmarks does).
        shutil.copytree(root, pathlib.Path(scratch) / "tree", symlinks=True, ignore=shutil.ignore_patterns(".build*", ".venv*", ".git"))
        scratch_path = pathlib.Path(scratch) / "tree" / folder.relative_to(root)
        loosened = PIN.sub(lambda m: f'.package(url: "{m["url"]}", from: "{m["version"]}"{m["rest"]})', manifest)
        (scratch_path / "Package.swift").write_text(loosened)
        (scratch_path / "Package.resolved").unlink(missing_ok=True)
        subprocess.run(["swift", "package", "resolve"], cwd=scratch_path, check=True)
        pins = json.loads((scratch_path / "Package.resolved").read_text())["pins"]
    resolved = {pin["identity"]: (pin["location"], pin["state"]["version"]) for pin in pins if "version" in pin["state"]}
    manifest = PIN.sub(
        lambda m: f'.package(url: "{m["url"]}", exact: "{resolved.get(identity(m["url"]), (None, m["version"]))[1]}"{m["rest"]})',
        manifest,
    )
    manifest_path.write_text(manifest)
    text = pins_path.read_text()
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    lines = "".join(f"{name} {location} {version}\n" for name, (location, version) in sorted(resolved.items()))
    pins_path.write_text(header + lines)
    print(f"pinned {len(resolved)} packages; now run ./scripts/test.sh and commit {manifest_path.name} and Package.pins")
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--update"] and len(arguments) <= 2:
        sys.exit(update((root / (arguments[1] if len(arguments) == 2 else ".")).resolve()))
    sys.exit(__doc__)
