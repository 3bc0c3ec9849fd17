"""The general ledger: chart of accounts, journal entries, posting rules, storage and audit.

Pure modules (``accounts``, ``journal``, ``posting``, ``audit``) import only the standard library
and lendcore; ``store`` adapts them to SQL; ``commands`` and ``routes`` are the thin entry points.
"""
