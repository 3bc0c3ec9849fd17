"""Who may do what: sign-in, roles and permissions, machine clients, borrower tokens.

- :mod:`~lendcore.access.policy`: every permission and role, and the CLI's permission table.
- :mod:`~lendcore.access.passwords`: argon2id password hashes (argon2-cffi).
- :mod:`~lendcore.access.tokens`: lendcore's own signed tokens (PyJWT, HS256, key from the key
  ring) and an external identity provider's (OIDC discovery and JWKS, :mod:`.oidc`).
- :mod:`~lendcore.access.store` / :mod:`.service`: users, sessions and API clients (the one
  writer of their tables); :mod:`.operations` the commands, :mod:`.routes` the API,
  :mod:`.commands` the CLI (``lendcore users``, ``lendcore keys api-*``, ``lendcore pending``).
- :mod:`~lendcore.access.guard`: what the API's pipeline asks of every request (who calls) and
  what every route declares (``allow(permission)``).

See docs/access.md.
"""
