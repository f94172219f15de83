"""Schemathesis hooks for scripts/checks/contract-test.sh (SCHEMATHESIS_HOOKS=schemathesis_hooks).

REST_API_SPEC.yaml types what clients should send, strictly, so that generated clients get an `int` stock and a
`str` isbn; the other inputs the server takes from the Django service's clients are listed beside the strict
schema as `x-also-accepted` (a schema) and `x-also-accepted-media-types` (form bodies), and rules between fields
as `x-rules` (generators make untyped bodies of them). Here, before schemathesis reads the document, each becomes
part of the schema it tests: `anyOf: [strict, also-accepted]`, the form media types as further content of the
request body, the rules as keywords of their schema. So the documented leniencies are tested as accepted (positive
cases draw them) and are never sent as input the server must refuse (negative cases avoid them), while anything
outside both is still a negative case that must get a 4xx.
"""

import copy

import schemathesis

# Keywords that describe a schema rather than constrain it: they stay on the widened schema.
ANNOTATIONS = ("title", "description", "default", "examples", "example", "deprecated")


@schemathesis.hook
def before_load_schema(context, raw_schema):
    widen(raw_schema)


def widen(node):
    if isinstance(node, list):
        for item in node:
            widen(item)
        return
    if not isinstance(node, dict):
        return
    for value in list(node.values()):
        widen(value)
    # Taken out before the strict schema is: they are not part of it.
    rules = node.pop("x-rules", None)
    media_types = node.pop("x-also-accepted-media-types", None)
    also_accepted = node.pop("x-also-accepted", None)
    if also_accepted is not None:
        strict = {key: node.pop(key) for key in list(node) if key not in ANNOTATIONS}
        node["anyOf"] = [strict, also_accepted]
    if rules is not None:
        if "anyOf" in node:
            # Beside the anyOf the widening made: both must hold.
            node.setdefault("allOf", []).append(rules)
        else:
            node.update(rules)
    if media_types:
        json_body = node["content"]["application/json"]
        for media_type in media_types:
            node["content"][media_type] = {"schema": copy.deepcopy(json_body["schema"])}
