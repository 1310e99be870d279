"""The CSP report endpoint, and headers on what is not a page (the photo view keeps its own)."""

import json

import pytest

REPORT = {
    "csp-report": {
        "document-uri": "https://ifixit.example/cars/1/",
        "violated-directive": "script-src-elem",
        "blocked-uri": "https://evil.example/x.js",
    }
}


def test_a_browser_report_is_logged_and_answered_204(client, db, caplog):
    response = client.post("/csp-report/", json.dumps(REPORT), content_type="application/csp-report")
    assert response.status_code == 204
    assert "script-src-elem blocked https://evil.example/x.js on https://ifixit.example/cars/1/" in caplog.text


def test_the_reporting_api_shape_is_read_too(client, db, caplog):
    body = [{"type": "csp-violation", "body": {"effectiveDirective": "img-src", "blockedURL": "https://x.example/p.png",
                                               "documentURL": "https://ifixit.example/"}}]
    assert client.post("/csp-report/", json.dumps(body), content_type="application/reports+json").status_code == 204
    assert "img-src blocked https://x.example/p.png" in caplog.text


@pytest.mark.parametrize("body", [b"not json", b"{}", b"[1, 2]", json.dumps({"csp-report": "x"}).encode()])
def test_what_is_not_a_report_is_refused_with_a_reason(client, db, body):
    response = client.post("/csp-report/", body, content_type="application/csp-report")
    assert response.status_code == 400 and "Not a CSP report" in response.content.decode()


def test_an_oversized_report_is_refused(client, db):
    big = json.dumps({"csp-report": {"blocked-uri": "x" * 20_000}})
    assert client.post("/csp-report/", big, content_type="application/csp-report").status_code == 413


def test_the_report_endpoint_takes_only_post(client, db):
    assert client.get("/csp-report/").status_code == 405


def test_the_sign_in_page_carries_the_policy_and_the_api_docs_need_no_inline_script(client, admin_user):
    page = client.get("/login/")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    client.force_login(admin_user)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "<script>" not in html and "?script=" in html.replace("&amp;", "&")
