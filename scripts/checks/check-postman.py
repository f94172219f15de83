#!/usr/bin/env python3
"""Checks the Postman collection and environment in postman/.

1. Both are valid JSON of the shape Postman v2.1 imports (checked against the required parts of the v2.1 collection
   schema, written out below, since the full schema cannot be downloaded here).
2. Every request in the collection is a path and method of REST_API_SPEC.yaml.
3. Every request of the README walkthrough is in the collection.
4. With BOOKCAT_URL set (scripts/with-server.sh), the "README walkthrough" folder is run against that server as
   Postman's runner would: in order, with {{variables}} from the environment, and with the test scripts' captures
   (`pm.environment.set('name', body.field)`) applied, so the login really feeds its token to later requests.
"""
import json
import os
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "postman" / "bookcat.postman_collection.json"
ENVIRONMENT = ROOT / "postman" / "bookcat.postman_environment.json"

# The parts of https://schema.getpostman.com/json/collection/v2.1.0/collection.json that Postman requires on import.
URL = {"type": "object", "required": ["raw"], "properties": {
    "raw": {"type": "string"}, "host": {"type": "array", "items": {"type": "string"}},
    "path": {"type": "array", "items": {"type": "string"}},
    "query": {"type": "array", "items": {"type": "object", "required": ["key"]}}}}
REQUEST = {"type": "object", "required": ["method", "url"], "properties": {
    "method": {"enum": ["GET", "PUT", "POST", "PATCH", "DELETE", "COPY", "HEAD", "OPTIONS", "LINK", "UNLINK",
                        "PURGE", "LOCK", "UNLOCK", "PROPFIND", "VIEW"]},
    "url": URL,
    "header": {"type": "array", "items": {"type": "object", "required": ["key", "value"]}},
    "body": {"type": "object", "properties": {"mode": {"enum": ["raw", "urlencoded", "formdata", "file", "graphql"]}}},
    "auth": {"$ref": "#/definitions/auth"}}}
EVENT = {"type": "object", "required": ["listen"], "properties": {
    "listen": {"enum": ["test", "prerequest"]},
    "script": {"type": "object", "properties": {"exec": {"type": "array", "items": {"type": "string"}}}}}}
COLLECTION_SCHEMA = {
    "type": "object",
    "required": ["info", "item"],
    "definitions": {
        "auth": {"type": "object", "required": ["type"], "properties": {"type": {"enum": [
            "apikey", "awsv4", "basic", "bearer", "digest", "edgegrid", "hawk", "noauth", "oauth1", "oauth2", "ntlm"]}}},
        "item": {"type": "object", "required": ["request"], "properties": {
            "name": {"type": "string"}, "request": REQUEST, "event": {"type": "array", "items": EVENT}}},
        "folder": {"type": "object", "required": ["item"], "properties": {
            "name": {"type": "string"},
            "item": {"type": "array", "items": {"anyOf": [{"$ref": "#/definitions/item"}, {"$ref": "#/definitions/folder"}]}}}},
    },
    "properties": {
        "info": {"type": "object", "required": ["name", "schema"], "properties": {
            "name": {"type": "string"},
            "schema": {"const": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}}},
        "item": {"type": "array", "items": {"anyOf": [{"$ref": "#/definitions/item"}, {"$ref": "#/definitions/folder"}]}},
        "auth": {"$ref": "#/definitions/auth"},
    },
}
ENVIRONMENT_SCHEMA = {"type": "object", "required": ["name", "values"], "properties": {
    "values": {"type": "array", "items": {"type": "object", "required": ["key", "value"]}}}}


def requests(items, folder=""):
    for item in items:
        if "item" in item:
            yield from requests(item["item"], item["name"])
        else:
            yield folder, item


def template(url_path):
    """`books/{{book_id}}` -> `/books/{}` (parameters anonymous, to compare with the spec's paths)."""
    return "/" + "/".join("{}" if re.fullmatch(r"\{\{\w+\}\}", segment) else segment for segment in url_path)


def spec_routes(spec):
    routes = set()
    for path, path_item in spec["paths"].items():
        for method in path_item:
            if method in {"get", "post", "put", "patch", "delete"}:
                routes.add((method.upper(), re.sub(r"\{\w+\}", "{}", path)))
    return routes


def readme_routes():
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- walkthrough:start -->")[1].split("<!-- walkthrough:end -->")[0]
    routes = set()
    for command in re.split(r"\n(?=\S)", block.replace("\\\n", " ")):
        match = re.search(r"curl\b.*?http://127\.0\.0\.1:8000/api/v1(/[^\s\"'?]*)", command)
        if not match:
            continue
        method = re.search(r"-X (\w+)", command)
        path = re.sub(r"\$\w+", "{}", match.group(1))
        routes.add((method.group(1) if method else "GET", path))
    return routes


def run_walkthrough(collection, environment, base):
    variables = {value["key"]: value["value"] for value in environment["values"]}
    variables["baseUrl"] = base + "/api/v1"
    bearer = collection["auth"]["bearer"][0]["value"]

    def fill(text):
        return re.sub(r"\{\{(\w+)\}\}", lambda match: str(variables[match.group(1)]), text)

    folder = next(item for item in collection["item"] if item["name"] == "README walkthrough")
    for item in folder["item"]:
        request = item["request"]
        headers = {header["key"]: fill(header["value"]) for header in request.get("header", [])}
        if request.get("auth", {}).get("type") != "noauth":
            headers["Authorization"] = "Bearer " + fill(bearer)
        body = fill(request["body"]["raw"]).encode() if "body" in request else None
        http = urllib.request.Request(fill(request["url"]["raw"]), data=body, headers=headers, method=request["method"])
        try:
            with urllib.request.urlopen(http, timeout=10) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        if status >= 300:
            sys.exit(f"postman walkthrough: '{item['name']}' answered {status}: {payload[:300]!r}")
        script = "\n".join(line for event in item.get("event", []) for line in event["script"]["exec"])
        captures = re.findall(r"pm\.environment\.set\('(\w+)', body\.(\w+)\)", script)
        if captures:
            document = json.loads(payload)
            for variable, field in captures:
                variables[variable] = document[field]
        print(f"  {request['method']:6} {fill(request['url']['raw'])[len(base):]} -> {status}")


def main():
    collection = json.loads(COLLECTION.read_text())
    environment = json.loads(ENVIRONMENT.read_text())
    jsonschema.validate(collection, COLLECTION_SCHEMA)
    jsonschema.validate(environment, ENVIRONMENT_SCHEMA)
    spec = yaml.safe_load((ROOT / "REST_API_SPEC.yaml").read_text())
    known = spec_routes(spec)
    found = set()
    for folder, item in requests(collection["item"]):
        route = (item["request"]["method"], template(item["request"]["url"]["path"]))
        if route not in known:
            sys.exit(f"postman: '{item['name']}' ({folder}) is {route[0]} {route[1]}, which the spec does not have")
        if folder == "README walkthrough":
            found.add(route)
    missing = readme_routes() - found
    if missing:
        sys.exit(f"postman: the README walkthrough also calls {sorted(missing)}, missing from the collection's walkthrough")
    total = sum(1 for _ in requests(collection["item"]))
    print(f"postman: {total} requests, all in the spec; the README walkthrough's {len(found)} routes are covered")
    if os.environ.get("BOOKCAT_URL"):
        run_walkthrough(collection, environment, os.environ["BOOKCAT_URL"])
        print("postman: the walkthrough folder ran against a live server")


if __name__ == "__main__":
    main()
