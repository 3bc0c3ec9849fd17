"""Who may do what: every permission, every role, in one declarative table.

One permission per operation. Every API route declares the permission it needs
(``access.guard.allow``), every command class names its own (``Command.permission``; the runner
checks it, so the CLI and any caller in the process are held to the same table), and every CLI
command path is in :data:`CLI`. Tests hold all three complete.

A permission that ends in :data:`CHECK` is the checker's half of a four-eyes pair (Fineract's
``DISBURSE_LOAN`` / ``DISBURSE_LOAN_CHECKER``): ``line.set_limit`` proposes a raise,
``line.set_limit:check`` approves someone else's.

Roles are closed sets of permissions. The administrator holds every permission (a fresh
installation's local operator is one, so the README's commands work), but four eyes still hold
for an administrator: nobody checks their own command.

Kept as a Python table rather than a policy library (pycasbin): the rules are role -> permission
sets with no conditions; the conditions that exist (a borrower's own loans, a collector's own
cases, an amount over a threshold) need the book, and live beside the data they read
(``access.scope``, the commands' ``needs_checker``). A dict lookup is also the cheapest check a
request can make.
"""

from __future__ import annotations

from collections.abc import Mapping

CHECK = ":check"

# --- permissions (name -> what it allows) ------------------------------------------------------
PERMISSIONS: Mapping[str, str] = {
    # system
    "system.read": "read the business date",
    "session.self": "see one's own identity and sign out",
    # origination
    "application.decide": "submit an application for a decision",
    "decision.read": "read a decision (masked)",
    "review.request": "ask for a human review of a decision",
    "review.read": "list the human-review queue",
    "review.decide": "record a review's outcome",
    "review.decide:check": "approve another's approval of a referral",
    # customers and lines
    "customer.create": "create a customer",
    "customer.read": "read a customer (masked)",
    "customer.unmask": "read a customer's full name, ID number and mobile, with a reason",
    "consent.record": "record a consent given or withdrawn",
    "consent.read": "read a customer's consents",
    "line.open": "open a credit line",
    "line.open:check": "approve a line opened outside a decision",
    "line.read": "read a credit line",
    "line.set_limit": "set a line's limit",
    "line.set_limit:check": "approve a limit raise or a manual limit",
    "line.freeze": "freeze a line",
    "line.unfreeze": "unfreeze a line",
    "line.close": "close a line",
    # servicing
    "loan.draw": "draw cash on a line",
    "loan.checkout": "open a checkout loan for a merchant order",
    "loan.read": "read a loan, its schedule, statement and payoff",
    "loan.documents.read": "read a loan's contract and key-facts sheet (HTML, PDF)",
    "loan.repay": "record a repayment",
    "loan.refund": "refund returned goods on a checkout loan",
    "loan.refund_overpayment": "pay back an overpayment",
    "loan.refund_overpayment:check": "approve an overpayment refund above the threshold",
    # merchants
    "merchant.read": "list and read registered merchants",
    "merchant.manage": "register a merchant, suspend or reactivate it",
    # ledger
    "ledger.read": "read the ledger, its balances and its audit",
    # collections
    "case.read": "read collection cases (a collector: their own; an agency: its own)",
    "case.assign": "assign a case to a collector or an agency",
    "case.reachability": "record that a borrower is unreachable",
    "case.notify": "send the outsourcing notice",
    "contact.check": "ask whether a contact would be allowed",
    "contact.record": "record a collection contact",
    "agency.manage": "add and review collection agencies",
    "plan.offer": "offer a negotiated repayment plan",
    "plan.sign": "record that the borrower signed a plan",
    "plan.sign:check": "approve signing a plan that waives penalty or interest",
    "legal.record": "record a legal step taken on a case (lawyer's letter, suit, enforcement)",
    "legal.record:check": "approve another's record of a legal step",
    "early_plan.request": "ask for a repayment plan before missing a payment",
    "early_plan.read": "read early plans and plan requests (a borrower: their own)",
    "early_plan.offer": "offer a repayment plan before overdue (no collections case)",
    "early_plan.sign": "sign an early plan (a borrower: their own) or record the signature",
    "early_plan.sign:check": "approve signing an early plan that waives penalty or interest",
    "complaint.read": "list complaints",
    "complaint.receive": "receive a complaint",
    "complaint.handle": "mark complex, extend or resolve a complaint",
    # access
    "borrower_token.issue": "issue a borrower token for a customer",
    "pending.read": "list commands waiting for a checker",
    "pending.decide": "approve or reject a pending command (with its :check permission)",
    "users.manage": "add, list and disable operators",
    "users.roles": "change an operator's roles",
    "users.roles:check": "approve another's change of an operator's roles",
    "clients.manage": "add, list and revoke API clients",
    # the CLI's own operations (no API route)
    "audit.read": "read and verify the audit trail",
    "keys.manage": "see, rotate and change the key ring",
    "night.run": "run the night",
    "products.read": "list products and price quotes",
    "book.admin": "start the business date, load or generate a book, run the tools",
}

_STAFF_COMMON = {"system.read", "session.self"}
_CHECKERS = {"pending.read", "pending.decide"}

# --- roles (name -> permissions) ---------------------------------------------------------------
ROLES: Mapping[str, frozenset[str]] = {
    "administrator": frozenset(PERMISSIONS),
    "credit_officer": frozenset(_STAFF_COMMON | _CHECKERS | {
        "decision.read", "review.read", "review.decide", "review.decide:check",
        "customer.read", "line.open", "line.open:check", "line.read", "line.set_limit",
        "line.set_limit:check", "line.freeze", "line.unfreeze", "line.close", "loan.read",
        "loan.documents.read", "consent.read", "products.read", "merchant.read"}),
    "customer_service": frozenset(_STAFF_COMMON | {
        "application.decide", "decision.read", "review.request", "customer.create",
        "customer.read", "customer.unmask", "consent.record", "consent.read", "line.read",
        "line.close", "loan.read", "loan.documents.read", "loan.refund",
        "loan.refund_overpayment", "complaint.read", "complaint.receive", "complaint.handle",
        "borrower_token.issue", "products.read", "merchant.read",
        "early_plan.request", "early_plan.read", "early_plan.offer", "early_plan.sign"}),
    "collector": frozenset(_STAFF_COMMON | {
        "case.read", "case.reachability", "case.notify", "contact.check", "contact.record",
        "plan.offer", "plan.sign"}),
    "agency_collector": frozenset(_STAFF_COMMON | {
        "case.read", "contact.check", "contact.record"}),
    "collections_supervisor": frozenset(_STAFF_COMMON | _CHECKERS | {
        "case.read", "case.assign", "case.reachability", "case.notify", "contact.check",
        "contact.record", "agency.manage", "plan.offer", "plan.sign", "plan.sign:check",
        "complaint.read", "complaint.receive", "complaint.handle", "loan.read",
        "loan.documents.read", "line.freeze", "customer.read",
        "legal.record", "legal.record:check", "early_plan.read", "early_plan.sign:check"}),
    "finance": frozenset(_STAFF_COMMON | _CHECKERS | {
        "ledger.read", "loan.read", "loan.documents.read", "loan.repay",
        "loan.refund_overpayment", "loan.refund_overpayment:check", "line.read"}),
    "risk_analyst": frozenset(_STAFF_COMMON | {
        "decision.read", "review.read", "ledger.read", "loan.read", "loan.documents.read",
        "line.read", "customer.read", "products.read", "merchant.read"}),
    "compliance_auditor": frozenset(_STAFF_COMMON | {
        "decision.read", "review.read", "customer.read", "customer.unmask", "consent.read",
        "line.read", "loan.read", "loan.documents.read", "ledger.read", "case.read",
        "complaint.read", "audit.read", "pending.read", "early_plan.read"}),
    # machine clients (API keys): one scope each
    "merchant": frozenset({"application.decide", "loan.checkout", "loan.refund"}),
    "gateway": frozenset({"loan.repay"}),
    "bureau": frozenset({"system.read", "loan.read"}),
    # a borrower token: their own customer, lines and loans only (``access.scope``)
    "borrower": frozenset({"session.self", "customer.read", "consent.record", "consent.read",
                           "line.read", "loan.read", "loan.documents.read", "loan.draw",
                           "loan.repay", "complaint.receive", "review.request",
                           "early_plan.request", "early_plan.read", "early_plan.sign"}),
}

STAFF_ROLES = ("administrator", "credit_officer", "customer_service", "collector",
               "agency_collector", "collections_supervisor", "finance", "risk_analyst",
               "compliance_auditor")
CLIENT_SCOPES = ("merchant", "gateway", "bureau")
BORROWER = "borrower"

# --- the CLI: every command path and the permission it needs -----------------------------------
CLI: Mapping[str, str | None] = {  # None: touches no book (nothing to guard)
    "serve": "book.admin",
    "business-date": "book.admin",
    "apply": "application.decide",
    "decision": "decision.read",
    "review request": "review.request",
    "review queue": "review.read",
    "review outcome": "review.decide",
    "customer create": "customer.create",
    "customer show": "customer.read",
    "customer unmask": "customer.unmask",
    "consent record": "consent.record",
    "consent show": "consent.read",
    "line open": "line.open",
    "line show": "line.read",
    "line set-limit": "line.set_limit",
    "line freeze": "line.freeze",
    "line unfreeze": "line.unfreeze",
    "line close": "line.close",
    "draw": "loan.draw",
    "checkout": "loan.checkout",
    "repay": "loan.repay",
    "refund": "loan.refund",
    "refund-overpayment": "loan.refund_overpayment",
    "loan show": "loan.read",
    "loan schedule": "loan.read",
    "loan statement": "loan.read",
    "loan payoff": "loan.read",
    "loan contract": "loan.documents.read",
    "loan key-facts": "loan.documents.read",
    "merchants add": "merchant.manage",
    "merchants list": "merchant.read",
    "merchants status": "merchant.manage",
    "ledger balances": "ledger.read",
    "ledger audit": "ledger.read",
    "quote": None,
    "products": None,
    "eod run": "night.run",
    "eod status": "night.run",
    "collections cases": "case.read",
    "collections case": "case.read",
    "collections check": "contact.check",
    "collections contact": "contact.record",
    "collections notice": "case.notify",
    "collections assign": "case.assign",
    "collections assign-collector": "case.assign",
    "collections reachability": "case.reachability",
    "collections agency-add": "agency.manage",
    "collections agency-review": "agency.manage",
    "collections sync": "night.run",
    "collections plan-offer": "plan.offer",
    "collections plan-sign": "plan.sign",
    "collections legal-step": "legal.record",
    "collections early-plan request": "early_plan.request",
    "collections early-plan requests": "early_plan.read",
    "collections early-plan offer": "early_plan.offer",
    "collections early-plan show": "early_plan.read",
    "collections early-plan sign": "early_plan.sign",
    "collections complaints": "complaint.read",
    "collections complaint-open": "complaint.receive",
    "collections complaint-complex": "complaint.handle",
    "collections complaint-extend": "complaint.handle",
    "collections complaint-resolve": "complaint.handle",
    "audit verify": "audit.read",
    "audit show": "audit.read",
    "keys status": "keys.manage",
    "keys rotate": "keys.manage",
    "keys new": "keys.manage",
    "keys add": "keys.manage",
    "keys remove": "keys.manage",
    "keys api-add": "clients.manage",
    "keys api-list": "clients.manage",
    "keys api-revoke": "clients.manage",
    "users add": "users.manage",
    "users list": "users.manage",
    "users disable": "users.manage",
    "users password": "users.manage",
    "users roles": "users.roles",
    "pending list": "pending.read",
    "pending show": "pending.read",
    "pending approve": "pending.decide",
    "pending reject": "pending.decide",
    # the tools (lendcore-tools): they write the book directly, as its administrator
    "demo": None,  # builds its own book, in-process
    "portfolio generate": "book.admin",
    "scorecard train": None,  # reads a file, writes a model
}


def permissions_of(roles: frozenset[str] | tuple[str, ...]) -> frozenset[str]:
    """Every permission the roles give (an unknown role gives none)."""
    found: set[str] = set()
    for role in roles:
        found |= ROLES.get(role, frozenset())
    return frozenset(found)


def checker_of(permission: str) -> str:
    """The checker's half of ``permission``."""
    return permission + CHECK
