"""Collections, truthfully: a message may state a legal step the lender has taken (recorded on
the case, four eyes, citing its reference); threats of steps not taken, and posing as a court,
the police or a lawyer, stay forbidden."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer
from collections_helpers import as_user, client
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from lendcore import cli_support
from lendcore.collections import commands
from lendcore.collections.config import Channel, default_config
from lendcore.collections.guard import CaseState, ProposedContact, Target, check_contact
from lendcore.collections.legal import LegalStep, RecordedStep, cites
from lendcore.collections.legal_operations import RecordLegalStep
from lendcore.runner import Context, execute
from lendcore.store.collections_tables import collection_legal_steps
from lendcore.store.uow import UnitOfWork

SHANGHAI = ZoneInfo("Asia/Shanghai")
LETTER = RecordedStep(LegalStep.LAWYER_LETTER, "LF-2026-0031")
SUIT = RecordedStep(LegalStep.SUIT_FILED, "(2026)京0105民初1234号")


def sms(text: str, target: Target = Target.BORROWER) -> ProposedContact:
    return ProposedContact(Channel.SMS, target, datetime.fromisoformat("2026-03-02T10:00+08:00"),
                           number="contact-1" if target is Target.CONTACT else None,
                           collector_id="C042", template=text)


def verdict(text: str, *steps: RecordedStep, target: Target = Target.BORROWER,
            unreachable: bool = False) -> list[str]:
    state = CaseState(is_open=True, bucket="M6", borrower_zone=SHANGHAI, max_dpd=200,
                      legal_steps=steps, borrower_unreachable=unreachable)
    result = check_contact(sms(text, target), [], state, default_config())
    return [r.detail for r in result.reasons]


# --- the guard (pure) ----------------------------------------------------------------------------
def test_a_recorded_lawyers_letter_may_be_stated_citing_its_reference() -> None:
    text = "我是C042。我司已委托律师事务所向您发出律师函(编号LF-2026-0031),请尽快联系还款。"
    assert verdict(text, LETTER) == []


def test_the_same_notice_without_the_step_recorded_is_refused_as_before() -> None:
    text = "我是C042。我司已委托律师事务所向您发出律师函(编号LF-2026-0031),请尽快联系还款。"
    (detail,) = verdict(text)
    assert detail.startswith("impersonation: contains '律师函'")
    assert "no lawyer's letter is recorded on this case" in detail


def test_naming_a_recorded_step_without_citing_its_reference_is_refused_with_a_hint() -> None:
    (detail,) = verdict("我是C042。律师函已寄出,请尽快还款。", LETTER)
    assert "recorded on this case as LF-2026-0031" in detail


def test_a_lawyers_letter_does_not_make_a_suit_not_filed_sayable() -> None:
    text = "我是C042。律师函LF-2026-0031已寄出,再不还款将向法院起诉。"
    details = verdict(text, LETTER)
    assert [d.split(":")[0] for d in details] == ["threat", "impersonation"]
    assert "'起诉'" in details[0] and "'法院'" in details[1]
    assert verdict(text, LETTER, SUIT) != []  # the suit's own number is not cited


def test_a_filed_suit_may_be_stated_with_the_courts_case_number() -> None:
    text = "我是C042。我司已就您的欠款向法院提起诉讼,案号(2026)京0105民初1234号。"
    assert verdict(text, SUIT) == []
    assert [d.split(":")[0] for d in verdict(text)] == ["threat", "impersonation"]
    assert [d.split(":")[0] for d in verdict(text, LETTER)] == ["threat", "impersonation"]


def test_claiming_a_suit_in_other_words_is_still_naming_a_legal_step() -> None:
    # 诉讼 was not on the lists before: "we have sued" passed though no suit was filed.
    assert [d.split(":")[0] for d in verdict("我是C042。我司已提起诉讼。")] == ["threat"]


@pytest.mark.parametrize("text", [
    "我是C042。案号(2026)京0105民初1234号,你要坐牢了",  # jail: never
    "我是C042。案号(2026)京0105民初1234号,本院通知你还款",  # posing as the court
    "我是C042。案号(2026)京0105民初1234号,法官让你明天还款",
    "我是C042。案号(2026)京0105民初1234号,公安已经介入",  # the police
    "我是C042,我是律师。案号(2026)京0105民初1234号",  # posing as a lawyer
    "我是C042。案号(2026)京0105民初1234号,后果自负",
])
def test_a_recorded_suit_unlocks_nothing_but_its_own_words(text: str) -> None:
    assert verdict(text, SUIT, LETTER) != []


def test_an_emergency_contact_is_never_told_of_a_legal_step() -> None:
    text = "您好,我是C042。已向法院提起诉讼,案号(2026)京0105民初1234号,请转告张先生回电。"
    details = verdict(text, SUIT, target=Target.CONTACT, unreachable=True)
    assert {d.split(":")[0] for d in details} == {"threat", "impersonation"}
    assert not any("recorded on this case" in d for d in details)


@pytest.mark.parametrize(("reference", "cited"), [("LF-1", True), ("LF1", False)])
def test_a_reference_shorter_than_four_characters_is_never_cited(reference: str,
                                                                  cited: bool) -> None:
    assert cites(f"律师函 {reference} 已寄出", reference) is cited


# --- recording a step: four eyes, then the guard lets the message through ---------------------
LETTER_TEXT = "我是{who}。我司已委托律师事务所向您发出律师函,编号LF-2026-0031,请尽快联系还款。"


def _check(api: Any, case_id: int, who: str, headers: dict[str, str]) -> list[str]:
    r = api.post("/collections/contacts/check", headers=headers, json={
        "case_id": case_id, "channel": "sms", "template": LETTER_TEXT.format(who=who)})
    assert r.status_code == 200, r.text
    return [reason["code"] for reason in r.json()["reasons"]]


def test_a_legal_step_is_recorded_by_one_supervisor_and_confirmed_by_another(
        db: tuple[Engine, int]) -> None:
    engine, case_id = db
    api = client(engine)
    sup_one = as_user(api, engine, "sup.one", "collections_supervisor")
    sup_two = as_user(api, engine, "sup.two", "collections_supervisor")
    collector = as_user(api, engine, "li.wei", "collector")
    assert api.post(f"/collections/cases/{case_id}/collector",
                    json={"collector": "li.wei"}).status_code == 200
    body = {"step": "lawyer_letter", "reference": "LF-2026-0031", "taken_on": "2026-02-27"}
    path = f"/collections/cases/{case_id}/legal-steps"
    assert api.post(path, json=body, headers=collector).status_code == 403  # legal.record
    proposed = api.post(path, json=body, headers=sup_one)
    assert proposed.status_code == 202, proposed.text
    # Proposed is not taken: the message is still refused.
    assert _check(api, case_id, "li.wei", collector) == ["forbidden_content"]
    pending_id = proposed.json()["pending_id"]
    own = api.post(f"/pending/{pending_id}/approve", json={"reason": "seen"}, headers=sup_one)
    assert own.status_code == 403 and own.json()["error"] == "own_command"
    done = api.post(f"/pending/{pending_id}/approve", json={"reason": "letter copy on file"},
                    headers=sup_two)
    assert done.status_code == 200, done.text
    step = done.json()["result"]
    assert (step["step"], step["reference"], step["taken_on"], step["recorded_on"]) == (
        "lawyer_letter", "LF-2026-0031", "2026-02-27", "2026-03-01")
    assert (step["recorded_by"], step["approved_by"]) == ("sup.one", "sup.two")
    assert _check(api, case_id, "li.wei", collector) == []
    detail = api.get(f"/collections/cases/{case_id}", headers=collector).json()
    assert [s["reference"] for s in detail["legal_steps"]] == ["LF-2026-0031"]
    assert detail["history"][-1]["event"] == "legal_step"


@pytest.mark.parametrize(("changes", "status", "field"), [
    ({"taken_on": "2026-03-01"}, 201, None),  # the business date
    ({"taken_on": "2026-03-02"}, 422, "taken_on"),  # not yet taken
    ({"reference": "LF-1"}, 201, None),
    ({"reference": "LF1"}, 422, "reference"),  # too short to be cited truthfully
    ({"step": "police_report"}, 422, "step"),
])
def test_a_legal_step_is_already_taken_and_has_a_citable_reference(
        db: tuple[Engine, int], changes: dict[str, str], status: int,
        field: str | None) -> None:
    engine, case_id = db
    ctx = Context(now=datetime.fromisoformat("2026-03-02T10:00+08:00"), actor="demo")
    body = {"step": "lawyer_letter", "reference": "LF-2026-0031", **changes}
    if field == "step":
        r = client(engine).post(f"/collections/cases/{case_id}/legal-steps", json=body)
        assert r.status_code == 422 and r.json()["field"] == "step"
        return
    command = RecordLegalStep(case_id, LegalStep(body["step"]), body["reference"],
                              datetime.fromisoformat(body.get("taken_on", "2026-03-01")).date())
    from lendcore.errors import InvalidInput

    if status == 422:
        with pytest.raises(InvalidInput) as err:
            execute(engine, command, ctx=ctx)
        assert err.value.field == field
    else:  # code in the process (the demo, the night): no principal, no checker
        done = execute(engine, command, ctx=ctx)
        assert (done["recorded_by"], done["approved_by"]) == ("demo", None)


def test_a_step_is_recorded_once_and_never_rewritten(db: tuple[Engine, int]) -> None:
    engine, case_id = db
    ctx = Context(now=datetime.fromisoformat("2026-03-02T10:00+08:00"), actor="demo")
    command = RecordLegalStep(case_id, LegalStep.SUIT_FILED, "(2026)京0105民初1234号")
    execute(engine, command, ctx=ctx)
    from lendcore.errors import Conflict

    with pytest.raises(Conflict) as err:
        execute(engine, command, ctx=ctx)
    assert err.value.code == "duplicate_legal_step"
    with UnitOfWork(engine) as uow, pytest.raises(Exception, match="append-only"):
        uow.conn.execute(update(collection_legal_steps).values(reference="(2026)京0105民初9号"))
    with UnitOfWork(engine, read_only=True) as uow:
        assert uow.conn.execute(select(collection_legal_steps.c.reference)).scalars().all() == [
            "(2026)京0105民初1234号"]


def test_the_cli_proposes_a_legal_step_for_a_checker(
        db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch) -> None:
    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)

    _, case_id = db
    app = typer.Typer()
    commands.register(app)
    monkeypatch.setattr(cli_support, "_CLOCK", None)
    monkeypatch.setattr(cli_support, "_PRINCIPALS", {}, raising=False)
    monkeypatch.setenv("LENDCORE_OPERATOR", "admin")
    args = ["collections", "legal-step", "--case", str(case_id), "--step", "suit_filed",
            "--reference", "(2026)京0105民初1234号"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["status"] == "pending_approval"
    bad = CliRunner().invoke(app, [*args[:5], "arrest", *args[6:]])
    assert bad.exit_code != 0 and "--step" in str(bad.exception)
