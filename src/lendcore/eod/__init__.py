"""End of day: columnar snapshot -> vectorised kernel -> bulk write, per business date (docs/eod.md)."""
