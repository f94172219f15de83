#!/usr/bin/env python3
"""Generates postman/bookcat.postman_collection.json and postman/bookcat.postman_environment.json from
REST_API_SPEC.yaml, so the collection can never drift from the contract. Run it after changing the spec;
scripts/test.sh fails when the committed files differ from what it generates.

Requests come in the order of the README walkthrough first (sign up, log in, create a tag and a book, list, borrow),
then every other operation by tag. Logging in stores both tokens in the environment, and creating a resource stores
its id, so the requests that follow work without copying anything by hand.
"""
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

# The variable each path parameter is filled from, and the response field that sets it.
PATH_VARIABLES = {"book_id": "book_id", "tag_id": "tag_id", "loan_id": "loan_id", "user_id": "user_id"}
CAPTURES = {
    "logIn": {"access_token": "access_token", "refresh_token": "refresh_token"},
    "refreshToken": {"access_token": "access_token", "refresh_token": "refresh_token"},
    "signUp": {"user_id": "user_id"},
    "createBook": {"book_id": "book_id"},
    "createTag": {"tag_id": "tag_id"},
    "createLoan": {"loan_id": "loan_id"},
}
# Query parameters shown on requests that have them, as in the README walkthrough.
QUERY_EXAMPLES = {
    "listBooks": [("title", "dune"), ("tag", "{{tag_id}}"), ("order_by", "-published_at"), ("page_size", "5")],
}
# Request bodies that use captured ids instead of the spec's literal example ids.
BODY_OVERRIDES = {
    "createBook": {"title": "Dune", "author": "Frank Herbert", "isbn": "9780441013593", "published_at": "1965-08-01",
                   "stock": 3, "tags": ["{{tag_id}}"]},
    "createLoan": {"book_id": "{{book_id}}", "quantity": 1},
    "updateBook": {"stock": 10},
    "refreshToken": {"refresh_token": "{{refresh_token}}"},
    "logOut": {"refresh_token": "{{refresh_token}}"},
}
# (operation, name, body): the README walkthrough's requests in its order. Tags and books need the admin the README
# creates with `bookcat user create --admin`; the listing and the loan are the member's.
ADMIN_LOGIN = {"email": "admin@example.org", "password": "admin password 1"}
WALKTHROUGH = [
    ("signUp", "Sign up as a member", None),
    ("logIn", "Log in as the admin", ADMIN_LOGIN),
    ("createTag", None, None),
    ("createBook", None, None),
    ("updateBook", None, None),
    ("logIn", "Log in as the member", None),
    ("listBooks", None, None),
    ("createLoan", None, None),
    ("getBook", None, None),
]


def body_text(operation_id, example):
    body = BODY_OVERRIDES.get(operation_id, example)
    text = json.dumps(body, indent=2)
    # Ids captured into variables are numbers: drop the quotes JSON put around them.
    return re.sub(r'"(\{\{\w+\}\})"', r"\1", text)


def request_item(path, method, operation, name=None, body=None):
    operation_id = operation["operationId"]
    segments = []
    for segment in path.strip("/").split("/"):
        match = re.fullmatch(r"\{(\w+)\}", segment)
        segments.append("{{%s}}" % PATH_VARIABLES[match.group(1)] if match else segment)
    query = [{"key": key, "value": value} for key, value in QUERY_EXAMPLES.get(operation_id, [])]
    raw = "{{baseUrl}}/" + "/".join(segments)
    if query:
        raw += "?" + "&".join(f"{item['key']}={item['value']}" for item in query)
    request = {
        "method": method.upper(),
        "header": [],
        "url": {"raw": raw, "host": ["{{baseUrl}}"], "path": segments},
        "description": operation.get("description", operation.get("summary", "")).strip(),
    }
    if query:
        request["url"]["query"] = query
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is not None:
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        example = body if body is not None else content.get("example", {})
        request["body"] = {"mode": "raw", "raw": body_text(operation_id, example) if body is None else json.dumps(body, indent=2),
                           "options": {"raw": {"language": "json"}}}
    if operation.get("security") == []:
        request["auth"] = {"type": "noauth"}
    item = {"name": name or operation.get("summary", operation_id), "request": request}
    script = [f"pm.test('{operation_id} succeeds', function () {{ pm.expect(pm.response.code).to.be.below(300); }});"]
    captures = CAPTURES.get(operation_id, {})
    if captures:
        script.append("const body = pm.response.json();")
        script += [f"pm.environment.set('{variable}', body.{field});" for variable, field in captures.items()]
    item["event"] = [{"listen": "test", "script": {"type": "text/javascript", "exec": script}}]
    return operation_id, item


def main():
    spec = yaml.safe_load((ROOT / "REST_API_SPEC.yaml").read_text())
    items = {}
    tags = {}
    located = {}
    for path, path_item in spec["paths"].items():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            operation_id, item = request_item(path, method, operation)
            items[operation_id] = item
            tags[operation_id] = operation.get("tags", ["other"])[0]
            located[operation_id] = (path, method, operation)
    walkthrough = [request_item(*located[operation_id], name=name, body=body)[1] for operation_id, name, body in WALKTHROUGH]
    folders = [{"name": "README walkthrough", "item": walkthrough}]
    for tag in [t["name"] for t in spec.get("tags", [])]:
        folder = [items[i] for i in items if tags[i] == tag]
        if folder:
            folders.append({"name": tag, "item": folder})
    collection = {
        "info": {
            "name": spec["info"]["title"],
            "description": spec["info"].get("description", "").strip(),
            "schema": SCHEMA_URL,
        },
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}]},
        "item": folders,
        "variable": [],
    }
    environment = {
        "name": "bookcat (local)",
        "values": [
            {"key": "baseUrl", "value": spec["servers"][0]["url"], "type": "default", "enabled": True},
            {"key": "access_token", "value": "", "type": "secret", "enabled": True},
            {"key": "refresh_token", "value": "", "type": "secret", "enabled": True},
        ] + [{"key": name, "value": "1", "type": "default", "enabled": True} for name in PATH_VARIABLES.values()],
        "_postman_variable_scope": "environment",
    }
    outputs = {
        ROOT / "postman" / "bookcat.postman_collection.json": collection,
        ROOT / "postman" / "bookcat.postman_environment.json": environment,
    }
    check = "--check" in sys.argv
    stale = []
    for path, document in outputs.items():
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.relative_to(ROOT))
        else:
            path.write_text(text)
    if stale:
        print("out of date (run scripts/generate/generate-postman.py):", ", ".join(map(str, stale)), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
