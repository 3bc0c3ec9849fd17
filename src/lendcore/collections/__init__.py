"""Collections (催收): cases, strategies, the contact compliance guard, negotiated repayment
plans (协商还款) and complaints.

Pure domain modules (``config``, ``phrases``, ``guard``, ``cases``, ``strategy``, ``plans``,
``complaints``) import only the standard library and lendcore; ``store``, ``service``,
``routes`` and ``commands`` adapt them to SQL, HTTP and the command line. See
``docs/collections.md``.
"""
