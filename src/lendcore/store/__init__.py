"""Storage: SQLAlchemy Core tables, Alembic migrations, engines and the unit of work.

SQLite is the zero-setup default; PostgreSQL is production. Money is BIGINT fen everywhere, rates
BIGINT parts per billion, dates DATE. Domain code never imports this package.
"""
