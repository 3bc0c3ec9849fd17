"""lendcore: a consumer-credit core for a Chinese consumer-finance lender."""

__version__ = "0.1.0"
