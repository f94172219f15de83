"""Terraform files as plain Python values, whichever python-hcl2 parsed them.

python-hcl2 8 keeps HCL's quotes on block labels and string values (`'"aws_iam_role"'`, `'"bookcat"'`) where earlier
versions (and checkov's bc-python-hcl2, which installs a module of the same name into .venv) drop them; the checks
read names and defaults, so both come out unquoted here.
"""

import pathlib

import hcl2


def _plain(value):
    if isinstance(value, dict):
        return {_unquote(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return _unquote(value) if isinstance(value, str) else value


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def load(path: pathlib.Path) -> dict:
    with path.open() as handle:
        return _plain(hcl2.load(handle))


def first(value):
    """A block's attribute, whether the parser wrapped it in a list or not."""
    return value[0] if isinstance(value, list) else value
