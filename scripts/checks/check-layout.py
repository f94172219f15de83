#!/usr/bin/env python3
"""The code's layout is what the documentation says it is, and stays easy to find one's way in.

- The modules docs/architecture.md's project layout names (`Sources/<Name>`, `Benchmarks/<Name>`) are exactly the
  package's targets that live there, and each folder exists.
- BookcatHTTP lists no store adapter, Redis client or cache among its dependencies: it knows them only through
  BookcatCore's ports (the composition root, BookcatApp, picks them).
- No folder in Sources/ is a catch-all (Support, Utils, Helpers, Misc, Common, Shared).
- No Swift source is over 1,000 lines: generated data belongs in resource files, not in code.
- Every relative link in README.md and docs/ (Markdown links and images, outside code) names a file or folder that
  exists, and a `#anchor` names a heading of the file it points to (GitHub's anchors).
"""
import pathlib
import re
import sys

from checks import fail_if_any

ROOT = pathlib.Path(__file__).resolve().parents[2]
CATCH_ALLS = {"support", "utils", "utilities", "helpers", "misc", "common", "shared"}
HTTP_MUST_NOT_DEPEND_ON = {"BookcatSQLite", "BookcatPostgres", "BookcatCache", "RedisClient", "CHiredis"}
MAX_LINES = 1_000


ARCHITECTURE = ROOT / "docs" / "architecture.md"


def documented_modules() -> set[str]:
    text = ARCHITECTURE.read_text()
    if "\n## Project layout\n" not in text:
        sys.exit(f"{ARCHITECTURE.relative_to(ROOT)} has no '## Project layout' section")
    section = text.split("\n## Project layout\n", 1)[1].split("```", 2)[1]
    return set(re.findall(r"^(?:Sources|Benchmarks)/(\w+)", section, re.MULTILINE))


def documentation() -> list[pathlib.Path]:
    """README.md and every Markdown file under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code, where a `[x](y)` is an example, not a link."""
    text = re.sub(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", "", text, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"(`+).+?\1", "", text)


def anchors(path: pathlib.Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file, and any explicit `<a id|name="…">`."""
    found, seen = set(), {}
    for line in prose(path.read_text()).splitlines():
        heading = re.match(r" {0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))
            slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
        found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
    return found


def broken_links() -> tuple[int, list[str]]:
    """How many relative links the documentation has, and the ones that point nowhere."""
    checked, failures = 0, []
    for document in documentation():
        text = prose(document.read_text())
        # Headings' own code spans were dropped above; the raw text keeps code out of links anyway.
        for target in re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # http:, https:, mailto:
            checked += 1
            path, _, anchor = target.partition("#")
            resolved = (document.parent / path).resolve() if path else document
            where = f"{document.relative_to(ROOT)}: ({target})"
            if not resolved.exists():
                failures.append(f"{where} names no file or folder")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                failures.append(f"{where}: {resolved.relative_to(ROOT)} has no heading with the anchor #{anchor}")
    return checked, failures


def package_targets() -> dict[str, str]:
    """Name -> the target's dependency list text, for the targets that live in Sources/ or Benchmarks/: the root
    package's, and those of the benchmark package in Benchmarks/ when it is a package of its own."""
    targets = {}
    for folder in (ROOT, ROOT / "Benchmarks"):
        if not (folder / "Package.swift").is_file():
            continue
        manifest = (folder / "Package.swift").read_text()
        for match in re.finditer(r"\.(target|executableTarget|systemLibrary|testTarget)\(\s*name: \"(\w+)\"(.*?)\n        \),?\n", manifest, re.DOTALL):
            kind, name, body = match.groups()
            path = re.search(r'path: "([^"]+)"', body)
            where = folder / path.group(1) if path else folder / ("Tests" if kind == "testTarget" else "Sources") / name
            if where.relative_to(ROOT).as_posix().startswith(("Sources/", "Benchmarks/")) or name == "BookcatHTTPTests":
                targets[name] = body
    return targets


def main() -> int:
    failures = []
    named, targets = documented_modules(), package_targets()
    http_tests = targets.pop("BookcatHTTPTests", "")
    for name in sorted(named - targets.keys()):
        failures.append(f"docs/architecture.md's project layout names {name}, which Package.swift does not declare")
    for name in sorted(targets.keys() - named):
        failures.append(f"Package.swift declares {name}, which docs/architecture.md's project layout does not name")
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
    links, broken = broken_links()
    failures += broken
    fail_if_any(failures, "the code's layout and the documentation's links")
    print(f"layout: {len(targets)} modules as docs/architecture.md names them; BookcatHTTP and its tests on ports only; "
          f"no catch-all folder; {links} relative links in README.md and docs/ resolve")
    return 0


if __name__ == "__main__":
    sys.exit(main())
