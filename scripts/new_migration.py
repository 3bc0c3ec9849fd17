"""Generate an Alembic revision by autogenerate against a scratch SQLite database upgraded to heads.
usage: .venv/bin/python scripts/new_migration.py "message" REV_ID [--head X] [--branch LABEL]"""
import sys, tempfile
from alembic import command
from lendcore.store.db import make_engine, alembic_config, upgrade
msg, rev = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
head = args[args.index("--head")+1] if "--head" in args else None
branch = args[args.index("--branch")+1] if "--branch" in args else None
d = tempfile.mkdtemp()
eng = make_engine(f"sqlite:///{d}/s.db")
if head != "base": upgrade(eng)
cfg = alembic_config(eng)
command.revision(cfg, message=msg, autogenerate=True, rev_id=rev, head=head or "head", branch_label=branch, version_path=None)
