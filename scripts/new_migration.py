"""Generate an Alembic revision by autogenerate against a scratch SQLite upgraded to all heads.

usage: .venv/bin/python scripts/new_migration.py "message" REV_ID [--head X] [--branch LABEL]
       [--splice]

--head base       a revision with no parent (only the very first one)
--head REV        the parent; add --splice when REV already has children (a new area branch
                  starting from an existing revision), --branch names the new branch
"""

import sys
import tempfile

from alembic import command

from lendcore.store.db import alembic_config, make_engine, upgrade


def main(argv: list[str]) -> None:
    msg, rev = argv[0], argv[1]
    args = argv[2:]
    head = args[args.index("--head") + 1] if "--head" in args else "head"
    branch = args[args.index("--branch") + 1] if "--branch" in args else None
    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/scratch.db")
    if head != "base":
        upgrade(engine)
    command.revision(alembic_config(engine), message=msg, autogenerate=True, rev_id=rev,
                     head=head, branch_label=branch, splice="--splice" in args)


if __name__ == "__main__":
    main(sys.argv[1:])
