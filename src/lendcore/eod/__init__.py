"""End of day: columnar snapshot -> vectorised kernel -> bulk write (see docs/eod.md)."""
