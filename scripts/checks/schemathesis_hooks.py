"""Schemathesis hooks for scripts/checks/contract-test.sh (SCHEMATHESIS_HOOKS=schemathesis_hooks).

REST_API_SPEC.yaml types what clients should send, strictly, so that generated clients get an `int` stock and a
`str` isbn; the other inputs the server takes from the Django service's clients are listed beside the strict
schema as `x-also-accepted` (a schema) and `x-also-accepted-media-types` (form bodies), and rules between fields
as `x-rules` (generators make untyped bodies of them). Here, before schemathesis reads the document, each becomes
part of the schema it tests: `anyOf: [strict, also-accepted]`, the form media types as further content of the
request body (with what a form field cannot carry left out), the rules as keywords of their schema. So the documented leniencies are tested as accepted (positive
cases draw them) and are never sent as input the server must refuse (negative cases avoid them), while anything
outside both is still a negative case that must get a 4xx.
"""

import schemathesis

# Keywords that describe a schema rather than constrain it: they stay on the widened schema.
ANNOTATIONS = ("title", "description", "default", "examples", "example", "deprecated")


@schemathesis.hook
def before_load_schema(context, raw_schema):
    widen(raw_schema)
    for path in raw_schema.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            for media_type in (body or {}).pop(FORMS, []):
                json_schema = body["content"]["application/json"]["schema"]
                body["content"][media_type] = {"schema": form_schema(json_schema, raw_schema)}


# Where widen() leaves a body's form media types for before_load_schema, which can resolve references.
FORMS = "x-form-media-types"


def form_schema(schema, root):
    """The JSON body's schema as a form can carry it: references resolved, and what a form field cannot hold left
    out (an object inside a field, such as the `{"tag_id": 3}` tag, and null)."""
    if isinstance(schema, list):
        return [form_schema(item, root) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return form_schema(target, root)
    result = {key: form_schema(value, root) for key, value in schema.items()}
    for key in ("anyOf", "oneOf"):
        if key in result:
            result[key] = [alternative for alternative in result[key] if alternative.get("type") not in ("object", "null")]
    if isinstance(result.get("type"), list):
        kinds = [kind for kind in result["type"] if kind != "null"]
        result["type"] = kinds[0] if len(kinds) == 1 else kinds
    return result


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
        node[FORMS] = media_types
