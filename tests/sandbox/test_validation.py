"""The partners' checks as pure functions: form parsing, Laravel's boolean rule, Imshop's payment."""

from __future__ import annotations

from datetime import datetime

import pytest

from integrations.sandbox.bodies import FORM, JSON, body_parse, form_parse
from integrations.sandbox.validation import (
    choco_status_problems,
    horoshop_date_parse,
    horoshop_update_order_problems,
)
from tests.conftest import load_fixture


def test_form_parse_reads_php_bracket_keys_into_lists_and_objects():
    # when
    data, problems = form_parse("a[0][link]=x&a[0][type]=y&a[1][link]=z&e[k]=v+w&n=1&n=2&l[]=p&l[]=q")
    # then
    assert problems == []
    assert data == {"a": [{"link": "x", "type": "y"}, {"link": "z"}], "e": {"k": "v w"}, "n": "2", "l": ["p", "q"]}


def test_form_parse_names_keys_it_cannot_read():
    # when
    data, problems = form_parse("a=1&a[b]=2&c[d=3&[x]=4")
    # then
    assert data == {"a": "1"}
    assert problems == ["a[b]: used both as a value and as a group", "c[d: malformed key", "[x]: malformed key"]


def test_the_documented_form_sample_reads_like_the_json_sample():
    # given
    sample = load_fixture("choco_status_request_v2.json")
    # when
    body = body_parse(raw=load_fixture("choco_status_request_v2.form").encode(), content_type=FORM,
                      allowed=(FORM, JSON))
    # then
    assert body.problems == []
    assert body.data["deeplinks"] == sample["deeplinks"]
    assert body.data["external_data"]["expired_at"] == sample["external_data"]["expired_at"]
    assert choco_status_problems(body.data) == []


@pytest.mark.parametrize(("value", "accepted"), [
    (True, True), (False, True), (0, True), (1, True), ("0", True), ("1", True),
    ("true", False), ("false", False), (2, False), (0.0, False), ("", False), ([], False),
])
def test_choco_timers_follow_laravels_boolean_rule(value, accepted):
    # given
    payload = load_fixture("choco_status_request_v2.json")
    payload["external_data"]["need_timer"] = value
    # when
    problems = choco_status_problems(payload)
    # then
    assert (problems == []) is accepted


def test_choco_v1_and_v2_timer_fields_are_both_accepted_but_not_mixed():
    # given
    v1, v2 = load_fixture("choco_status_request_v1.json"), load_fixture("choco_status_request_v2.json")
    mixed = {**v2, "is_need_timer": True}
    # when / then
    assert choco_status_problems(v1) == []
    assert choco_status_problems(v2) == []
    assert choco_status_problems(mixed) == [
        "is_need_timer: version 1 field sent together with external_data[need_timer] (version 2)"]


def test_choco_v2_needs_both_timers():
    # given
    payload = load_fixture("choco_status_request_v2.json")
    del payload["external_data"]["countdown_timer"]
    # when / then
    assert choco_status_problems(payload) == ["external_data[countdown_timer]: required"]


def test_choco_titles_count_characters_not_bytes():
    # given
    payload = load_fixture("choco_status_request_v2.json")
    payload["external_data"]["title_active_order_card"] = "Ж" * 30
    # when / then
    assert choco_status_problems(payload) == []


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-01-31 10:00:00", datetime(2024, 1, 31, 10, 0)),
    ("2024-01-31", datetime(2024, 1, 31)),
    ("31.01.2024", datetime(2024, 1, 31)),
    ("31.01.2024 10:00:05", datetime(2024, 1, 31, 10, 0, 5)),
    ("2024/01/31", None),
    (20240131, None),
])
def test_horoshop_dates(value, expected):
    # when / then
    assert horoshop_date_parse(value) == expected


def test_horoshop_update_order_accepts_what_the_docs_list():
    # when / then
    assert horoshop_update_order_problems(
        {"order_id": "115", "status": 6, "tracking_code": "20450000000000", "payed": 1}, 0) == []
    assert horoshop_update_order_problems({"order_id": True, "status": True}, 2) == [
        "orders[2][order_id]: required, the order number", "orders[2][status]: must be an integer"]
