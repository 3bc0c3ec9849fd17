"""Servicing: the loan aggregate (pure), its replay, and the services that store it."""
