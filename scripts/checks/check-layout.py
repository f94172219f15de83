#!/usr/bin/env python3
"""The code's layout is what the README says it is, and stays easy to find one's way in.

- The modules the README's project layout names (`Sources/<Name>`, `Benchmarks/<Name>`) are exactly the package's
  targets that live there, and each folder exists.
- BookcatHTTP lists no store adapter, Redis client or cache among its dependencies: it knows them only through
  BookcatCore's ports (the composition root, BookcatApp, picks them).
- No folder in Sources/ is a catch-all (Support, Utils, Helpers, Misc, Common, Shared).
- No Swift source is over 1,000 lines: generated data belongs in resource files, not in code.
"""
import pathlib
import re
import sys

from checks import fail_if_any

ROOT = pathlib.Path(__file__).resolve().parents[2]
CATCH_ALLS = {"support", "utils", "utilities", "helpers", "misc", "common", "shared"}
HTTP_MUST_NOT_DEPEND_ON = {"BookcatSQLite", "BookcatPostgres", "BookcatCache", "RedisClient", "CHiredis"}
MAX_LINES = 1_000


def readme_modules() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Project layout", 1)[1].split("```", 2)[1]
    return set(re.findall(r"^(?:Sources|Benchmarks)/(\w+)", section, re.MULTILINE))


def package_targets() -> dict[str, str]:
    """Name -> the target's dependency list text, for the targets that live in Sources/ or Benchmarks/."""
    manifest = (ROOT / "Package.swift").read_text()
    targets = {}
    for match in re.finditer(r"\.(target|executableTarget|systemLibrary|testTarget)\(\s*name: \"(\w+)\"(.*?)\n        \),", manifest, re.DOTALL):
        kind, name, body = match.groups()
        path = re.search(r'path: "([^"]+)"', body)
        folder = path.group(1) if path else (f"Tests/{name}" if kind == "testTarget" else f"Sources/{name}")
        if folder.startswith(("Sources/", "Benchmarks/")) or name == "BookcatHTTPTests":
            targets[name] = body
    return targets


def main() -> int:
    failures = []
    named, targets = readme_modules(), package_targets()
    http_tests = targets.pop("BookcatHTTPTests", "")
    for name in sorted(named - targets.keys()):
        failures.append(f"the README's project layout names {name}, which Package.swift does not declare")
    for name in sorted(targets.keys() - named):
        failures.append(f"Package.swift declares {name}, which the README's project layout does not name")
    for name in sorted(named & targets.keys()):
        if not (ROOT / "Sources" / name).is_dir() and not (ROOT / "Benchmarks" / name).is_dir():
            failures.append(f"{name}: no such folder in Sources/ or Benchmarks/")
    http = targets.get("BookcatHTTP", "")
    for adapter in sorted(HTTP_MUST_NOT_DEPEND_ON):
        if f'"{adapter}"' in http:
            failures.append(f"BookcatHTTP depends on {adapter}: it may know stores and caches only through BookcatCore's ports")
        if f'"{adapter}"' in http_tests:
            failures.append(f"BookcatHTTPTests depends on {adapter}: the HTTP module is tested on in-memory ports")
    if not http_tests:
        failures.append("Package.swift declares no BookcatHTTPTests: the HTTP module's own tests, on in-memory ports")
    for folder in sorted(p for p in (ROOT / "Sources").rglob("*") if p.is_dir()):
        if folder.name.lower() in CATCH_ALLS:
            failures.append(f"{folder.relative_to(ROOT)}: a catch-all folder; name it after the one concept it holds")
    for source in sorted((ROOT / "Sources").rglob("*.swift")):
        lines = source.read_text(errors="replace").count("\n")
        if lines > MAX_LINES:
            failures.append(f"{source.relative_to(ROOT)}: {lines} lines (at most {MAX_LINES}; data belongs in resource files)")
    fail_if_any(failures, "the code's layout")
    print(f"layout: {len(targets)} modules as the README names them; BookcatHTTP and its tests on ports only; no catch-all folder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
