"""The chart of accounts: every account the ledger may post to, with a stable code.

Codes follow the usual numbering: 1xxx assets, 2xxx liabilities, 4xxx income, 5xxx expenses. The
code is what storage keeps (``postings.account_code``), so a code is never reused or renumbered;
a new account gets a new code. Each account has a type and a *normal side*: the side on which it
grows. A balance shown "in the normal sense" is positive when the account holds what it should::

    >>> Account.PRINCIPAL_RECEIVABLE.code, Account.PRINCIPAL_RECEIVABLE.normal_side
    ('1100', <Side.DEBIT: 'debit'>)
    >>> Account.PRINCIPAL_RECEIVABLE.normal_balance(debit_fen=1000_00, credit_fen=200_00)
    80000
    >>> Account.INTEREST_INCOME.normal_balance(debit_fen=0, credit_fen=5_00)
    500

The loan-loss allowance is a contra-asset: it sits among the assets but grows on the credit side.
"""

from __future__ import annotations

import enum


class Side(enum.Enum):
    DEBIT = "debit"
    CREDIT = "credit"


class AccountType(enum.Enum):
    ASSET = "asset"
    CONTRA_ASSET = "contra_asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def normal_side(self) -> Side:
        if self in (AccountType.ASSET, AccountType.EXPENSE):
            return Side.DEBIT
        return Side.CREDIT


class Account(enum.Enum):
    """An account of the chart. ``Account("1100")`` parses a stored code."""

    CLEARING = "1001"
    PRINCIPAL_RECEIVABLE = "1100"
    INTEREST_RECEIVABLE = "1110"
    PENALTY_RECEIVABLE = "1120"
    FEE_RECEIVABLE = "1130"
    LOAN_LOSS_ALLOWANCE = "1190"
    MERCHANT_PAYABLE = "2100"
    OVERPAYMENT_LIABILITY = "2200"
    INTEREST_INCOME = "4100"
    PENALTY_INCOME = "4110"
    FEE_INCOME = "4120"
    RECOVERY_INCOME = "4200"
    CHARGE_OFF_EXPENSE = "5100"
    PROVISION_EXPENSE = "5200"
    WAIVER_EXPENSE = "5300"

    @property
    def code(self) -> str:
        code: str = self.value
        return code

    @property
    def label(self) -> str:
        """The snake-case name used in the API, the CLI and the docs: ``principal_receivable``."""
        return self.name.lower()

    @property
    def type(self) -> AccountType:
        return _TYPES[self]

    @property
    def normal_side(self) -> Side:
        return self.type.normal_side

    def normal_balance(self, *, debit_fen: int, credit_fen: int) -> int:
        """The balance in this account's normal sense (positive = what it should hold)."""
        net_fen = debit_fen - credit_fen
        return net_fen if self.normal_side is Side.DEBIT else -net_fen

    @classmethod
    def from_code(cls, code: str) -> Account | None:
        """The account with this stored code, or None when the code is not in the chart."""
        return _BY_CODE.get(code)


_TYPES: dict[Account, AccountType] = {
    Account.CLEARING: AccountType.ASSET,
    Account.PRINCIPAL_RECEIVABLE: AccountType.ASSET,
    Account.INTEREST_RECEIVABLE: AccountType.ASSET,
    Account.PENALTY_RECEIVABLE: AccountType.ASSET,
    Account.FEE_RECEIVABLE: AccountType.ASSET,
    Account.LOAN_LOSS_ALLOWANCE: AccountType.CONTRA_ASSET,
    Account.MERCHANT_PAYABLE: AccountType.LIABILITY,
    Account.OVERPAYMENT_LIABILITY: AccountType.LIABILITY,
    Account.INTEREST_INCOME: AccountType.INCOME,
    Account.PENALTY_INCOME: AccountType.INCOME,
    Account.FEE_INCOME: AccountType.INCOME,
    Account.RECOVERY_INCOME: AccountType.INCOME,
    Account.CHARGE_OFF_EXPENSE: AccountType.EXPENSE,
    Account.PROVISION_EXPENSE: AccountType.EXPENSE,
    Account.WAIVER_EXPENSE: AccountType.EXPENSE,
}
_BY_CODE: dict[str, Account] = {account.code: account for account in Account}

assert set(_TYPES) == set(Account), "every account needs a type"
