"""What every check script does with what it found: print each failure under one heading and exit 1."""

import sys


def fail_if_any(failures: list[str], heading: str) -> None:
    """Exits 1 after printing `heading:` and each failure indented, on standard error, when there are any."""
    if not failures:
        return
    print(f"{heading}:", file=sys.stderr)
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    sys.exit(1)
