"""The product catalogue (validated TOML shipped in ``data/``) and the dated caps table.

Kept free of imports so that ``lendcore.schedules.quote`` can use the caps table without pulling
in the catalogue (which itself builds schedules to check every product against the cap).
"""
