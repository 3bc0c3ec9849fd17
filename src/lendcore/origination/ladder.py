"""The decision: consents, KYC, the eligibility ladder, score, price and limit -> one decision.

Every rule is evaluated and *every* failed rule is returned, in this precedence (also in
``docs/decisions.md``); a decision is a decline when any rule fails:

== ============================== ======== =====================================================
#  code                           kind     fails when
== ============================== ======== =====================================================
1  consent_credit_query_missing   rule     no credit-bureau query authorisation (征信授权)
2  consent_sensitive_data_missing rule     no separate consent to process sensitive personal
                                           data (PIPL Art. 29). Rules 1-2 gate the rest: without
                                           consent nothing else is evaluated or kept.
3  id_number_invalid              rule     shape, check character (ISO 7064 MOD 11-2), birth
                                           date or region code wrong
4  id_expired                     rule     the ID card expired before the decision date
5  age_under_18                   rule     under 18 on the decision date
6  age_over_55                    policy   over 55 on the decision date
7  student_not_targeted           rule     occupation is "student" (no campus lending)
8  reapply_too_soon               policy   applied for the same product less than 180 days ago,
                                           whatever that decision was (reapply_after says the
                                           first date allowed)
9  credit_line_frozen             policy   a line of the customer's is frozen (delinquency)
10 not_device_user                policy   does not use one of the ecosystem's devices
11 consumption_record_too_short   policy   under 6 months of consumption record
12 no_income                      policy   monthly income is zero
13 dti_over_ceiling               policy   declared monthly debt payments over 50% of income
14 score_below_cutoff             policy   score under 460
15 limit_below_minimum            policy   the affordable limit is under the product's minimum
                                           (cash line 500 CNY, checkout installments 100 CNY)
== ============================== ======== =====================================================

Rules 5-6 and 14-15 need a valid ID number (age feeds the scorecard); rule 15 is evaluated only
when rules 1-14 pass. When none fails: a score of 460-479 is ``refer`` (``score_near_cutoff``,
with the proposed terms for the reviewer), 480 and above ``approve``.

Reason order on a decision: failed rules (above order), ``score_near_cutoff``, the top three
adverse scorecard attributes (``adverse_<attribute>``, most points lost first), the price reasons
(``price_*``), the limit reasons (``limit_*``).

The application names its product (``cash-line`` or ``checkout-installment``): the same rules and
score decide both; the price, the limit range and the offered installment counts are that
product's (``pricing.py``, read from the catalogue). A term or an amount the product does not
offer is refused before any rule (``InvalidInput`` naming ``installments`` or ``amount``): a
decision never approves a term its product does not offer.

The decision date ``on`` is the server's business date (``clock.business_date``), passed in by
the service; an application carries no date of its own.

One application per product every 180 days, whatever the outcome (seed 001: 每半年只能申请一
次): every decision that assessed a valid identity -- approve, refer or decline -- sets
``reapply_after`` = decision date + 180 days, the first date a new application for that product
is allowed (applied on 2025-01-01: day 179, 2025-06-29, is refused; day 180, 2025-06-30, is
decided afresh). A decline for ``reapply_too_soon`` repeats the running wait's end (asking again
does not extend it). Declines for consent or an invalid ID number carry no ``reapply_after``:
nothing was assessed and nothing identifying is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lendcore.money import format_yuan
from lendcore.origination import kyc
from lendcore.origination import policy as p
from lendcore.origination.model import Application, Decision, Kyc, Outcome, Prior
from lendcore.origination.pricing import affordability_rate, initial_limit, pct, price
from lendcore.origination.scorecard import Score, Scorecard
from lendcore.reasons import Reason

PRECEDENCE: tuple[str, ...] = (
    "consent_credit_query_missing",
    "consent_sensitive_data_missing",
    "id_number_invalid",
    "id_expired",
    "age_under_18",
    "age_over_55",
    "student_not_targeted",
    "reapply_too_soon",
    "credit_line_frozen",
    "not_device_user",
    "consumption_record_too_short",
    "no_income",
    "dti_over_ceiling",
    "score_below_cutoff",
    "limit_below_minimum",
)
_RANK = {code: i for i, code in enumerate(PRECEDENCE)}


def consent_failures(app: Application) -> list[Reason]:
    out = []
    if not app.consents.credit_query:
        out.append(Reason("consent_credit_query_missing",
                          "the credit-bureau query authorisation was not given"))
    if not app.consents.sensitive_data:
        out.append(Reason("consent_sensitive_data_missing",
                          "separate consent to process sensitive personal data was not given "
                          "(PIPL Art. 29)"))
    return out


def eligibility_failures(app: Application, k: Kyc, prior: Prior, on: date) -> list[Reason]:
    """Rules 3-13 on the decision date ``on`` (a flat ladder of checks; every failure is
    returned)."""
    out = list(k.reasons)
    if k.age is not None and k.age < p.AGE_MIN:
        # No exact age in a reason: with the masked ID it would narrow the hidden birth date.
        out.append(Reason("age_under_18", f"under {p.AGE_MIN} on {on}; {p.AGE_MIN} is the "
                                          "minimum"))
    if k.age is not None and k.age > p.AGE_MAX:
        out.append(Reason("age_over_55", f"over {p.AGE_MAX} on {on}; {p.AGE_MAX} is the "
                                         "maximum"))
    if app.occupation == p.STUDENT:
        out.append(Reason("student_not_targeted", "credit is not offered to students"))
    if prior.reapply_after is not None and on < prior.reapply_after:
        out.append(Reason("reapply_too_soon", f"one application every {p.REAPPLY_WAIT.days} "
                                              f"days: {app.product} was applied for less than "
                                              f"{p.REAPPLY_WAIT.days} days ago; apply again "
                                              f"from {prior.reapply_after}"))
    if prior.line_frozen:
        out.append(Reason("credit_line_frozen", "an existing credit line is frozen"))
    eco = app.ecosystem
    if not eco.device_user:
        out.append(Reason("not_device_user", "does not use one of the ecosystem's devices"))
    if eco.consumption_months < p.CONSUMPTION_MONTHS_MIN:
        out.append(Reason("consumption_record_too_short",
                          f"{eco.consumption_months} months of consumption record; "
                          f"{p.CONSUMPTION_MONTHS_MIN} needed"))
    income, debt = app.monthly_income_fen, app.monthly_debt_payments_fen
    if income == 0:
        out.append(Reason("no_income", "a monthly income is needed"))
    elif debt > income * p.DTI_CEILING:
        out.append(Reason("dti_over_ceiling", f"debt payments {format_yuan(debt)} are over "
                                              f"{pct(p.DTI_CEILING)} of income "
                                              f"{format_yuan(income)}"))
    return out


def adverse_reasons(score: Score) -> list[Reason]:
    return [Reason(f"adverse_{a.name}", f"{a.name} = {a.bin_label}: {a.points_lost} points "
                                        "below the attribute's best")
            for a in score.adverse(p.ADVERSE_REASONS)]


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the application shows on its own on the decision date ``on``, before the store is
    asked about the applicant: missing consents, KYC and the score (``kyc`` is None without
    consent; ``score`` is None without a usable ID number). KYC and the score depend on the
    date (age, expiry), so an assessment is only good for the day it was made on."""

    on: date
    consent: tuple[Reason, ...]
    kyc: Kyc | None = None
    score: Score | None = None


def assess(app: Application, card: Scorecard, on: date) -> Assessment:
    """Refuses (``InvalidInput``) a product, term or amount not offered, before any rule."""
    p.check_request(p.product(app.product), app.amount_fen, app.installments)
    consent = consent_failures(app)
    if consent:
        return Assessment(on, tuple(consent))
    k = kyc.verify(app.identity.id_number, app.identity.id_expiry, on)
    if not k.valid or k.age is None:
        return Assessment(on, (), k)
    return Assessment(on, (), k, card.score({**app.profile, "age_in_years": k.age}))


def decide(app: Application, prior: Prior, card: Scorecard, on: date,
           assessed: Assessment | None = None) -> Decision:
    """The decision on ``on`` (the business date), given what the store knows (``prior``);
    ``assessed`` is ``assess(app, card, on)`` when the caller already has it."""
    a = assessed if assessed is not None and assessed.on == on else assess(app, card, on)
    offered = p.product(app.product)
    if a.kyc is None:
        return Decision(Outcome.DECLINE, a.consent, consented=False)
    k = a.kyc
    failures = eligibility_failures(app, k, prior, on)
    if a.score is None:
        return Decision(Outcome.DECLINE, tuple(failures), kyc=k)
    score = a.score
    if score.total < p.SCORE_REFER_MIN:
        failures.append(Reason("score_below_cutoff", f"score {score.total} is under "
                                                     f"{p.SCORE_REFER_MIN}"))
    adverse = adverse_reasons(score)
    terms: list[Reason] = []
    rate = limit = None
    if not failures:
        rate, terms = price(score.total, app.amount_fen, app.installments, offered)
        limit, limit_reasons = initial_limit(
            score.total, app.monthly_income_fen, app.monthly_debt_payments_fen,
            affordability_rate(offered, app.installments, rate), app.ecosystem,
            current_limit_fen=prior.current_limit_fen, offered=offered)
        terms += limit_reasons
        minimum = offered.principal_min_fen
        if limit < minimum:
            failures.append(Reason("limit_below_minimum", f"affordable limit "
                                   f"{format_yuan(limit)} is under {format_yuan(minimum)}"))
    if failures:
        failures.sort(key=lambda r: _RANK[r.code])
        wait = prior.reapply_after if any(r.code == "reapply_too_soon" for r in failures) else (
            on + p.REAPPLY_WAIT)
        return Decision(Outcome.DECLINE, (*failures, *adverse), score.total,
                        reapply_after=wait, kyc=k)
    # Approved or referred: the application was decided, so the product's wait starts too.
    wait, basis = on + p.REAPPLY_WAIT, offered.day_count
    if score.total < p.SCORE_APPROVE_MIN:
        near = Reason("score_near_cutoff", f"score {score.total} is within "
                                           f"{p.SCORE_REFER_MIN}-{p.SCORE_APPROVE_MIN - 1}: "
                                           "a person decides")
        return Decision(Outcome.REFER, (near, *adverse, *terms), score.total, limit, rate,
                        reapply_after=wait, kyc=k, day_count=basis)
    return Decision(Outcome.APPROVE, (*adverse, *terms), score.total, limit, rate,
                    reapply_after=wait, kyc=k, day_count=basis)
