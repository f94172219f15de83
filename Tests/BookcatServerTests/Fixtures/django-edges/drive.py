"""Drives the original Django service through its own HTTP API and logs every request with its answer.

Run after the admin was made with the service's own create_user (see made-with.log's first line).
"""
import json
import sys
import urllib.error
import urllib.request

PORT = int(open("/tmp/django-more/ports").read().split()[1])
BASE = f"http://127.0.0.1:{PORT}/api/v1"
LOG = open("/tmp/django-more/made-with.log", "a", encoding="utf-8")
PASSWORDS = {}  # email -> password it was signed up with (only kept when the signup was accepted)


def show(value):
    """A value for the log: plain when it is plain, Python's repr when it holds anything that is not (tabs,
    newlines, control characters, quotes, spaces) or is very long."""
    if value is None:
        return "None"
    if isinstance(value, str):
        if len(value) > 60:
            head = value[:12]
            return f"{head!r}…({len(value)} characters, {len(value.encode())} bytes)"
        if value and value.isprintable() and " " not in value and "'" not in value and '"' not in value:
            return value
        return repr(value)
    return repr(value)


def call(label, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    shown = text
    if text.lstrip().startswith("<"):  # Django's DEBUG error page: keep its title only
        start = text.find("<title>")
        end = text.find("</title>")
        shown = "HTML error page: " + " ".join(text[start + 7:end].split()) if start >= 0 else text[:200]
    shown = shown.replace("\r", "\\r").replace("\n", "\\n")
    if len(shown) > 400:
        shown = shown[:400] + "…"
    LOG.write(f"{label}: {status} {shown}\n")
    LOG.flush()
    print(f"{label}: {status} {shown}")
    try:
        return status, json.loads(text) if text and not text.lstrip().startswith("<") else None
    except ValueError:
        return status, None


def signup(email, username, password, note="", extra=None):
    body = {"email": email, "password": password}
    if username is not ...:
        body["username"] = username
    if extra:
        body.update(extra)
    label = f"signup {show(email)} {show(username if username is not ... else None)}"
    if note:
        label += f" ({note})"
    status, _ = call(label, "POST", "/users", body)
    if status == 201:
        PASSWORDS[email] = password
    return status


def login(email, password, note=""):
    label = f"login {show(email)}" + (f" ({note})" if note else "")
    status, data = call(label, "POST", "/auth/login", {"email": email, "password": password})
    return data["access_token"] if status == 200 else None


def main():
    admin = login("librarian@example.org", "Admin-pass-more!")
    assert admin, "admin login failed"

    # --- accounts -------------------------------------------------------------------------------------------
    # The API cannot make an admin: the serializer takes email, username and password only, so "role" is ignored.
    signup("wannabe@example.org", "wannabe", "more pass wannabe", 'sends "role": "admin"', extra={"role": "admin"})
    signup("tab@example.org", "tab\tbed", "more pass tab-1")
    signup("long@example.org", "L" * 300, "more pass long-1", "300 characters")
    signup("long31@example.org", "L" * 31, "more pass long-2", "31 characters")
    signup("long30@example.org", "L" * 30, "more pass long-3", "30 characters")
    signup("x\r\ny@example.org", "crlf", "more pass crlf-1")
    signup('"x\r\ny"@example.org', "crlfq", "more pass crlf-2", "quoted local part")
    signup("spaces@example.org", "   ", "more pass spaces-1", "only spaces")
    signup("empty@example.org", "", "more pass empty-1", "empty string")
    signup("tabonly@example.org", "\t", "more pass tabonly-1", "only a tab")
    signup("nul@example.org", "nul\x00byte", "more pass nul-1", "NUL byte")
    signup("zw@example.org", "\u200b", "more pass zw-1", "only U+200B ZERO WIDTH SPACE")
    signup("short@example.org", "x", "more pass short-1", "one character")
    signup("emoji@example.org", "\U0001F600\U0001F642\U0001F643", "more pass emoji-1", "emoji")
    signup("punct@example.org", "semi;colon/slash", "more pass punct-1", "punctuation")
    # e-mails Django's validate_email takes and a plain dot-atom@host.name rule does not
    signup('"ctl\x01x"@example.org', "ctlmail", "more pass ctlmail-1", "quoted local part holding U+0001")
    signup('"quoted"@example.org', "quoted", "more pass quoted-1", "quoted local part")
    signup("local@localhost", "localhost", "more pass localhost-1", "bare host localhost")
    signup("literal@[127.0.0.1]", "literal", "more pass literal-1", "address literal")
    signup("idn@bücher.example", "idn", "more pass idn-1", "Unicode domain")
    signup("a" * 200 + "@example.org", "longlocal", "more pass longlocal-1", "200-character local part")
    signup("zoë@example.org", "zoe2", "more pass zoe-2", "Unicode local part")
    # passwords
    signup("pw100@example.org", "pw100", ("long password " * 8 + "x" * 100)[:100], "100-character password")
    signup("pw300@example.org", "pw300", ("longer password " * 20 + "y" * 300)[:300], "300-character password")
    signup("pwtab@example.org", "pwtab", "more\tpass pwtab-1", "password holding a tab")
    signup("pwnfd@example.org", "pwnfd", "cafe\u0301 pass nfd-1", "password in NFD: e + U+0301")
    signup("pwpad@example.org", "pwpad", "  padded pass 1  ", "password with spaces around it")

    # every accepted account logs in with the password it was given
    tokens = {}
    for email, password in list(PASSWORDS.items()):
        tokens[email] = login(email, password)
    # the padded password: stored trimmed, so the password as typed at signup does not log in, the trimmed one does
    if "pwpad@example.org" in PASSWORDS:
        PASSWORDS["pwpad@example.org"] = "padded pass 1"
        tokens["pwpad@example.org"] = login("pwpad@example.org", "padded pass 1", "trimmed password")

    # --- tags -----------------------------------------------------------------------------------------------
    tag_ids = {}

    def tag(name, note=""):
        label = f"tag {show(name)}" + (f" ({note})" if note else "")
        status, data = call(label, "POST", "/tags", {"name": name}, admin)
        if status == 201:
            tag_ids[name] = data["tag_id"]
        return status

    tag("T" * 100, "100 characters")
    tag("tab\tname", "tab")
    tag("new\nline", "newline")
    tag("cr\rname", "carriage return")
    tag("\x1b[31mred\x1b[0m", "ANSI escape sequence")
    tag("\u200b", "only U+200B ZERO WIDTH SPACE")
    tag("T" * 255, "255 characters")
    tag("T" * 256, "256 characters")
    tag("   ", "only spaces")
    tag("", "empty")
    tag("nul\x00tag", "NUL byte")

    # --- books ----------------------------------------------------------------------------------------------
    def book(label, body):
        return call(f"book {label}", "POST", "/books", body, admin)[0]

    odd_tags = [tag_ids[n] for n in tag_ids]
    book("naming the new tags " + show(odd_tags), {
        "isbn": "9780000000101", "title": "Odd tags", "author": "Tagger", "stock": 5,
        "published_at": "2020-01-01", "tags": [{"tag_id": t} for t in odd_tags]})
    book("with a newline in its title and a tab in its author", {
        "isbn": "9780000000102", "title": "Line\nbreak", "author": "Tab\tAuthor", "stock": 5,
        "published_at": "2020-01-02", "tags": []})
    book("with stock 2147483648 (2^31)", {
        "isbn": "9780000000103", "title": "Huge stock", "author": "Counter", "stock": 2147483648,
        "published_at": "2020-01-03", "tags": []})
    book("naming tag ids -5 and 0, which do not exist", {
        "isbn": "9780000000104", "title": "Odd tag ids", "author": "Tagger", "stock": 5,
        "published_at": "2020-01-04", "tags": [{"tag_id": -5}, {"tag_id": 0}]})
    book("with stock 9223372036854775808 (2^63)", {
        "isbn": "9780000000105", "title": "Too much stock", "author": "Counter", "stock": 9223372036854775808,
        "published_at": "2020-01-05", "tags": []})
    book("with stock -1", {
        "isbn": "9780000000106", "title": "Negative stock", "author": "Counter", "stock": -1,
        "published_at": "2020-01-06", "tags": []})

    status, books = call("list books (to learn their ids)", "GET", "/books?page_size=100", None, admin)
    ids = {b["isbn"]: b["book_id"] for b in (books or {}).get("results", [])}

    # --- loans ----------------------------------------------------------------------------------------------
    def loan(label, email, body):
        return call(f"loan {label} by {show(email)}", "POST", "/loans", body, tokens.get(email))

    loan("1 copy of 'Odd tags'", "tab@example.org", {"book_id": ids.get("9780000000101"), "quantity": 1})
    loan("0 copies of 'Odd tags'", "short@example.org", {"book_id": ids.get("9780000000101"), "quantity": 0})
    loan("1500000 copies of 'Huge stock'", "emoji@example.org",
         {"book_id": ids.get("9780000000103"), "quantity": 1500000})
    loan("without a quantity", "zw@example.org", {"book_id": ids.get("9780000000101")})
    loan("-1 copies", "zw@example.org", {"book_id": ids.get("9780000000101"), "quantity": -1})

    status, loans = call("list loans (to learn their ids)", "GET", "/loans", None, admin)
    zero = [l["loan_id"] for l in (loans or []) if l["quantity"] == 0]
    for loan_id in zero:
        call(f"return loan {loan_id} of 0 copies with quantity 0", "PATCH", f"/loans/{loan_id}", {"quantity": 0},
             tokens.get("short@example.org"))

    json.dump(PASSWORDS, open("/tmp/django-more/passwords.json", "w"), ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
