"""Keeps every Swift package the build resolves pinned to one exact version in Package.swift.

A Package.resolved written on a machine with a package mirror records the mirror's commit ids, so it cannot be
shared; exact versions in the manifest can. Direct dependencies are pinned where they are declared; the packages
they bring in are pinned in the `pinnedTransitive` list, so CI, the image and every developer build the versions CI
tested.

  python3 scripts/generate/pin-dependencies.py --check    # fail if a resolved package is not pinned to what resolved
  python3 scripts/generate/pin-dependencies.py --update   # move every pin to the newest release of the same major version,
                                                 # then run ./scripts/test.sh and commit Package.swift

--check reads Package.resolved (written by the build). --update resolves in a scratch copy of the manifest whose
pins are loosened to `from:`, then writes the versions that resolved back as exact pins.
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parents[2]
manifest_path = root / "Package.swift"
# A pin may end in `traits: [...]` (ordo-one/benchmark's malloc interposer): kept as it is when a pin moves.
PIN = re.compile(r'\.package\(url: "(?P<url>[^"]+)", (?P<kind>exact|from): "(?P<version>[^"]+)"(?P<rest>(, traits: \[[^\]]*\])?)\)')
TRANSITIVE_START = "let pinnedTransitive: [Package.Dependency] = ["


def identity(url: str) -> str:
    return url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1].lower()


def resolved_versions(resolved_file: pathlib.Path) -> dict[str, tuple[str, str]]:
    pins = json.loads(resolved_file.read_text())["pins"]
    return {pin["identity"]: (pin["location"], pin["state"]["version"]) for pin in pins}


def check() -> int:
    manifest = manifest_path.read_text()
    declared = {identity(m["url"]): (m["kind"], m["version"]) for m in PIN.finditer(manifest)}
    resolved_file = root / "Package.resolved"
    if not resolved_file.exists():
        print("no Package.resolved: build first", file=sys.stderr)
        return 1
    problems = []
    for name, (location, version) in sorted(resolved_versions(resolved_file).items()):
        kind, pinned = declared.get(name, (None, None))
        if kind != "exact":
            problems.append(f"{name} {version} ({location}) is not pinned with exact:")
        elif pinned != version:
            problems.append(f"{name} resolved to {version} but is pinned to {pinned}")
    if problems:
        print("Package.swift does not pin what the build resolved:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print("run: python3 scripts/generate/pin-dependencies.py --update", file=sys.stderr)
        return 1
    print(f"dependencies: all {len(declared)} packages pinned exactly, as resolved")
    return 0


def update() -> int:
    manifest = manifest_path.read_text()
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = pathlib.Path(scratch)
        loosened = PIN.sub(lambda m: f'.package(url: "{m["url"]}", from: "{m["version"]}"{m["rest"]})', manifest)
        # Transitive pins are left out of the scratch manifest, so their dependents choose them freely.
        start = loosened.index(TRANSITIVE_START)
        end = loosened.index("]", start + len(TRANSITIVE_START))
        loosened = loosened[: start + len(TRANSITIVE_START)] + loosened[end:]
        (scratch_path / "Package.swift").write_text(loosened)
        for folder in ("Sources", "Tests", "Benchmarks"):
            shutil.copytree(root / folder, scratch_path / folder, symlinks=True)
        shutil.copy(root / "REST_API_SPEC.yaml", scratch_path)
        subprocess.run(["swift", "package", "resolve"], cwd=scratch_path, check=True)
        resolved = resolved_versions(scratch_path / "Package.resolved")

    start = manifest.index(TRANSITIVE_START) + len(TRANSITIVE_START)
    end = manifest.index("]", start)
    direct = {identity(m["url"]) for m in PIN.finditer(manifest[:start] + manifest[end:])}
    manifest = PIN.sub(
        lambda m: f'.package(url: "{m["url"]}", exact: "{resolved.get(identity(m["url"]), (None, m["version"]))[1]}"{m["rest"]})',
        manifest,
    )
    transitive = sorted((location, version) for name, (location, version) in resolved.items() if name not in direct)
    lines = "".join(f'    .package(url: "{location}", exact: "{version}"),\n' for location, version in transitive)
    start = manifest.index(TRANSITIVE_START) + len(TRANSITIVE_START)
    end = manifest.index("]", start)
    manifest = manifest[:start] + "\n" + lines + manifest[end:]
    manifest_path.write_text(manifest)
    print(f"pinned {len(resolved)} packages; now run ./scripts/test.sh and commit Package.swift")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    if sys.argv[1:] == ["--update"]:
        sys.exit(update())
    sys.exit(__doc__)
