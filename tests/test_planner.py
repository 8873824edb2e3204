"""Importing planned messages: every row checked, bad rows named by line, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contactengine.dispatch.planner import PlanError, read_plan
from contactengine.dispatch.unsubscribe import (
    UnsubscribeClaim,
    read_unsubscribe_token,
    signing_key,
    unsubscribe_token,
    unsubscribe_url,
)

HEADER = "id,debtor_id,debt_id,channel,template,not_before,to,language,variables\n"
KINDS = frozenset({"payment_reminder", "first_notice"})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_plan_reads_every_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "plan.csv",
        HEADER
        + 'M-1,C-1,D-1,sms,payment_reminder,2026-06-08T09:00:00-04:00,+16175550100,es,"{""amount_due"": ""$10""}"\n',
    )
    [message] = read_plan(path, KINDS)
    assert (message.id, message.channel, message.to) == ("M-1", "sms", "+16175550100")
    assert message.not_before == 1780923600.0  # 13:00 UTC
    assert message.variables == {"amount_due": "$10", "language": "es"}


def test_bad_rows_are_named_by_line_and_nothing_is_planned(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "plan.csv",
        HEADER
        + "M-1,C-1,D-1,sms,payment_reminder,2026-06-08T13:00:00Z,,,\n"
        + "M-2,C-1,D-1,fax,payment_reminder,2026-06-08T13:00:00Z,,,\n"
        + "M-3,C-1,,sms,payment_remind,2026-06-08 13:00,,,\n"
        + "M-1,C-1,D-1,sms,payment_reminder,2026-06-08T13:00:00Z,,,{nope\n",
    )
    with pytest.raises(PlanError) as raised:
        read_plan(path, KINDS)
    lines = [str(p) for p in raised.value.problems]
    assert lines[0] == "line 3: channel: `fax` is not one of call, sms, email, letter"
    assert lines[1].startswith(
        "line 4: debt_id: required; template: no message kind `payment_remind`"
    )
    assert "not_before: `2026-06-08 13:00` has no offset" in lines[1]
    assert lines[2].startswith("line 5: variables: not JSON")
    assert len(lines) == 3


def test_json_lines_plans_and_a_repeated_id_is_refused(tmp_path: Path) -> None:
    row = {
        "debtor_id": "C-1",
        "debt_id": "D-1",
        "channel": "email",
        "template": "first_notice",
        "not_before": "2026-06-08T13:00:00Z",
        "variables": {"creditor": "Northwind"},
    }
    path = write(tmp_path, "plan.jsonl", "\n".join([json.dumps(row), "[1]", json.dumps(row)]))
    with pytest.raises(PlanError) as raised:
        read_plan(path, KINDS)
    assert [str(p) for p in raised.value.problems] == [
        "line 2: not a JSON object",
        f"line 3: id `{read_plan(write(tmp_path, 'one.jsonl', json.dumps(row)))[0].id}` is already used on line 1",
    ]


def test_a_row_without_an_id_gets_the_same_id_every_time(tmp_path: Path) -> None:
    text = HEADER + ",C-1,D-1,sms,payment_reminder,2026-06-08T13:00:00Z,,,\n"
    first = read_plan(write(tmp_path, "a.csv", text))[0].id
    assert first == read_plan(write(tmp_path, "b.csv", text))[0].id
    assert first.startswith("msg_")
    other = text.replace("13:00", "14:00")
    assert read_plan(write(tmp_path, "c.csv", other))[0].id != first


def test_unsubscribe_tokens_are_signed(tmp_path: Path) -> None:
    key = signing_key({}, tmp_path / "key")
    assert signing_key({}, tmp_path / "key") == key  # made once, then kept
    assert (tmp_path / "key").stat().st_mode & 0o777 == 0o600
    claim = UnsubscribeClaim("C-1", "email", "pat@example.com", 1780923600.0)
    token = unsubscribe_token(key, claim)
    assert read_unsubscribe_token(key, token) == claim
    assert "token=" in unsubscribe_url("https://example.com/u", token)
    forged = unsubscribe_token(b"another key", claim)
    with pytest.raises(ValueError, match="signature"):
        read_unsubscribe_token(key, forged)
    body, _, signature = token.partition(".")
    with pytest.raises(ValueError):
        read_unsubscribe_token(key, body[:-2] + "AA." + signature)
    assert signing_key({"CONTACTENGINE_SIGNING_KEY": "set"}, tmp_path / "key") == b"set"


def test_a_row_nested_too_deeply_is_named_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    row = {
        "debtor_id": "C-1",
        "debt_id": "D-1",
        "channel": "sms",
        "template": "payment_reminder",
        "not_before": "2026-06-09T14:00:00Z",
        "variables": '{"a": ' * 100 + "1" + "}" * 100,
    }
    plan = tmp_path / "plan.jsonl"
    plan.write_text(deep + "\n" + json.dumps(row) + "\n")
    with pytest.raises(PlanError) as caught:
        read_plan(plan)
    problems = [str(p) for p in caught.value.problems]
    assert problems[0].startswith("line 1: objects and lists nest too deeply at line 1")
    assert problems[1] == "line 2: variables nest more than 8 deep"
