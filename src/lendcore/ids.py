"""Identifiers that shard by customer.

A customer id is a positive integer allocated by the database. Every loan (draw, checkout loan)
of that customer gets ``loan_id = customer_id * LOANS_PER_CUSTOMER + n`` with n the customer's
loan number (1, 2, ...). So:

* a range of loan ids is a range of customers: a partition of the nightly run by loan-id range
  holds *all* loans of its customers (a collection case, a credit-line freeze, a bureau record are
  decided within one partition, and partitions can move between machines whole);
* ``customer_of(loan_id)`` needs no lookup, and ``shard_of`` places a customer on one of N
  database shards with the same rule for its loans.

    >>> loan_id(42, 3)
    42000003
    >>> customer_of(42000003)
    42
"""

from __future__ import annotations

LOANS_PER_CUSTOMER = 1_000_000


def loan_id(customer_id: int, loan_number: int) -> int:
    if customer_id < 1:
        raise ValueError("customer ids start at 1")
    if not 1 <= loan_number < LOANS_PER_CUSTOMER:
        raise ValueError(f"loan number must be in 1..{LOANS_PER_CUSTOMER - 1}")
    return customer_id * LOANS_PER_CUSTOMER + loan_number


def customer_of(loan_id_: int) -> int:
    return loan_id_ // LOANS_PER_CUSTOMER


def shard_of(customer_id: int, shards: int) -> int:
    """Shard a customer by contiguous id blocks hashed modulo the shard count."""
    return customer_id % shards
