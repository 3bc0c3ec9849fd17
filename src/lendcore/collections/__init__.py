"""Collections (催收): cases, strategies, the contact compliance guard, negotiated repayment
plans (协商还款) and complaints.

Pure domain modules (``config``, ``phrases``, ``guard``, ``cases``, ``strategy``, ``plans``,
``complaints``) import only the standard library and lendcore. ``store`` adapts them to SQL
(collections writes only ``collection_*`` tables; a signed plan changes the loan through
servicing); the services (``sync``: the nightly case sync, ``contacts``, ``outsourcing``,
``plan_service``, ``complaint_service``, gathered in ``service``) return domain values;
``operations`` holds one command per state-changing operation, ``views`` the presenters,
``fields`` the input rules shared by ``routes`` (HTTP) and ``commands`` (CLI). See
``docs/collections.md``.
"""
