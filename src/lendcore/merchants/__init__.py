"""Merchants: the one owner of ``merchants`` (see ``merchants.store``), the seed of the merchant
registry (domain.md s9) that draws and checkout loans pay."""
