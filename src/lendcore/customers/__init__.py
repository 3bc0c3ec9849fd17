"""Customers and credit lines: the one owner of ``customers``, ``credit_lines`` and
``limit_changes`` (see ``customers.store``)."""
