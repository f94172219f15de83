#!/usr/bin/env python3
"""Swagger UI, vendored as files the binary serves, so /docs works without internet.

The files come from PyPI's drf-spectacular-sidecar (Swagger UI 5, which renders OpenAPI 3.1; PyPI's
swagger-ui-bundle ships 4.15, which refuses 3.1 documents). They live, with their Apache-2.0 licence, in
Sources/BookcatHTTP/Resources/swagger-ui/, a SwiftPM resource folder (`.copy`): the build puts it in the resource
bundle next to the binary (`bookcat_BookcatHTTP.resources`), and the image carries that bundle.

  --update   download the pinned wheel (checking its hash) and write the files and the licence
  --check    without network: the files are exactly the pinned ones (run by the test command)
"""
import hashlib
import io
import pathlib
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "Sources/BookcatHTTP/Resources/swagger-ui"
SIDECAR_VERSION = "2026.10.1"
SWAGGER_UI_VERSION = "5.33.1"
WHEEL_SHA256 = "fe1d005d8ac9b5d0472f2fe5deeb2e7d6dcffaa24118044f22578b4b8c4b31f2"
PREFIX = "drf_spectacular_sidecar/static/drf_spectacular_sidecar/swagger-ui-dist/"
# File -> its SHA-256, as the wheel has it.
FILES = {
    "swagger-ui-bundle.js": "050bc415ee7048dcd881682678f720264e7da5e373f7461d7c58c755305255f7",
    "swagger-ui.css": "1ac324f7dcd27e4b9386b4bd6421271ec147e922a22c05ba24b11515e9aa6321",
    "favicon-32x32.png": "3ed612f41e050ca5e7000cad6f1cbe7e7da39f65fca99c02e99e6591056e5837",
}
LICENCE = "LICENSE"


def check() -> int:
    problems = []
    for file, digest in FILES.items():
        path = FOLDER / file
        if not path.exists():
            problems.append(f"{path.relative_to(ROOT)} is missing; run scripts/generate/vendor-swagger-ui.py --update")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{path.relative_to(ROOT)} is not the pinned {file} (sha256 differs)")
    extra = {p.name for p in FOLDER.iterdir()} - set(FILES) - {LICENCE} if FOLDER.exists() else set()
    if extra:
        problems.append(f"unexpected files in {FOLDER.relative_to(ROOT)}: {sorted(extra)}")
    licence = FOLDER / LICENCE
    if not licence.exists() or "Apache License" not in licence.read_text():
        problems.append(f"{licence.relative_to(ROOT)} (Swagger UI's Apache-2.0 licence) is missing")
    for problem in problems:
        print(f"vendored Swagger UI: {problem}", file=sys.stderr)
    if not problems:
        print(f"vendored Swagger UI {SWAGGER_UI_VERSION}: {len(FILES)} files match their pinned hashes, licence beside them")
    return 1 if problems else 0


def update() -> int:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", folder,
             f"drf-spectacular-sidecar=={SIDECAR_VERSION}"],
            check=True,
        )
        wheel = next(pathlib.Path(folder).glob("*.whl")).read_bytes()
    if hashlib.sha256(wheel).hexdigest() != WHEEL_SHA256:
        print("the downloaded wheel does not have the pinned hash; refusing to vendor it", file=sys.stderr)
        return 1
    FOLDER.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        for file in FILES:
            (FOLDER / file).write_bytes(archive.read(PREFIX + file))
        (FOLDER / LICENCE).write_bytes(archive.read(PREFIX + "LICENSE"))
    return check()


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        sys.exit(update())
    if sys.argv[1:] == ["--check"]:
        sys.exit(check())
    print(__doc__, file=sys.stderr)
    sys.exit(2)
