"""The API schema with customer care in it validates without warnings."""

from django.core.management import call_command


def test_the_schema_validates_without_warnings_and_has_customer_care(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/customers/{customer_id}/history/" in schema
    assert "/api/v1/follow-ups/{follow_up_id}/snooze/" in schema
    assert "/api/v1/satisfaction/" in schema
