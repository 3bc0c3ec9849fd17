"""CLI: ``lendcore keys`` -- the key ring and the sealed values.

    lendcore keys status [--json]          # values per key id and column; which keys may go
    lendcore keys rotate [--batch-size 500] [--max-batches N]
    lendcore keys new PATH [--key-id ID]   # a fresh key ring file (0600)
    lendcore keys add KEY_ID [--no-activate]   # a new key in LENDCORE_KEYRING's ring
    lendcore keys remove KEY_ID            # refused while any value uses it

A rotation: ``keys add 2026-09`` (the ring file gains a key and makes it active), restart the
servers so that they seal with it, ``keys rotate`` (resumable: one committed transaction per
batch; run it again after any stop), ``keys status`` (the old key counts 0), ``keys remove
2026-03``. The sealed columns are their owners' (:class:`~lendcore.pii.rotation.SealedTable`):
the composition passes them to :func:`register`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import typer
from sqlalchemy import Engine

from lendcore import config
from lendcore.errors import ConfigurationError, InvalidInput, RuleViolation
from lendcore.pii import keyring
from lendcore.pii.rotation import KeyUse, Rotation, SealedTable, key_use, rotate

Tables = Callable[[], Sequence[SealedTable]]


def _engine() -> Engine:
    from lendcore.store.db import make_engine, upgrade

    eng = make_engine()
    upgrade(eng)
    return eng


def status_lines(use: KeyUse) -> list[str]:
    lines = [f"active key: {use.active}"]
    for column, per_key in use.counts.items():
        shown = ", ".join(f"{k} {n}" for k, n in sorted(per_key.items()) if n) or "no values"
        lines.append(f"  {column}: {shown}")
    by_key = use.by_key()
    for key_id in use.ring_keys:
        n = by_key[key_id]
        if key_id == use.active:
            lines.append(f"key {key_id}: {n} values (active)")
        elif n:
            lines.append(f"key {key_id}: {n} values: retired, still in use; run `lendcore keys "
                         "rotate` before removing it")
        else:
            lines.append(f"key {key_id}: 0 values: retired, unused: may be removed from the ring")
    for key_id in use.missing():
        lines.append(f"key {key_id}: {by_key[key_id]} values, NOT IN THE RING: they cannot be "
                     "opened")
    return lines


def status_json(use: KeyUse) -> dict[str, object]:
    by_key = use.by_key()
    return {"active": use.active,
            "columns": {c: dict(sorted(n.items())) for c, n in use.counts.items()},
            "keys": {k: {"values": by_key[k], "active": k == use.active,
                         "removable": k in use.removable()} for k in use.ring_keys},
            "missing": {k: by_key[k] for k in use.missing()}}


def register(app: typer.Typer, tables: Tables) -> None:
    """Mount ``lendcore keys`` on ``app``; ``tables`` gives the owners' sealed tables."""
    keys = typer.Typer(help="The key ring of personal data: status, rotate, new, add, remove.",
                       no_args_is_help=True)

    @keys.command("status")
    def status_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
        """Sealed values per key id and column; which retired keys may leave the ring."""
        use = key_use(_engine(), tables(), keyring.require_keys())
        if as_json:
            typer.echo(json.dumps(status_json(use), indent=2))
        else:
            typer.echo("\n".join(status_lines(use)))

    @keys.command("rotate")
    def rotate_cmd(batch_size: int = typer.Option(500, "--batch-size", min=1, max=100_000),
                   max_batches: int = typer.Option(None, "--max-batches", min=1,
                                                   help="stop after N batches (run again to "
                                                        "go on)")) -> None:
        """Re-seal every value with the active key, one committed batch at a time."""
        ring = keyring.require_keys()

        def tick(r: Rotation) -> None:
            if r.batches % 20 == 0:
                typer.echo(f"  {r.batches} batches, {r.resealed} values re-sealed", err=True)

        done = rotate(_engine(), tables(), ring, batch_size=batch_size,
                      max_batches=max_batches, progress=tick)
        state = "finished" if done.finished else "stopped (run again to go on)"
        typer.echo(f"rotation to {done.active} {state}: {done.resealed} values re-sealed in "
                   f"{done.batches} batches"
                   + (f", {done.skipped} changed meanwhile" if done.skipped else ""))

    @keys.command("new")
    def new_cmd(path: Path = typer.Argument(..., help="the key ring file to create"),
                key_id: str = typer.Option("k1", "--key-id"),
                index_key: bool = typer.Option(
                    True, help="a fresh index key (--no-index-key keeps LENDCORE_ID_HASH_KEY: "
                               "an existing book's ID-number index)")) -> None:
        """Write a fresh key ring (one active key and an index key), readable by you only."""
        if path.exists():
            raise InvalidInput(f"{path} exists; a key ring is never overwritten", field="path")
        keyring.write_document(path, keyring.new_keyring_document(key_id, index_key=index_key))
        typer.echo(f"wrote {path} (active key {key_id}); set LENDCORE_KEYRING={path}")

    @keys.command("add")
    def add_cmd(key_id: str = typer.Argument(...),
                activate: bool = typer.Option(True, help="make it the active key")) -> None:
        """Add a new key to LENDCORE_KEYRING's ring (active unless --no-activate)."""
        path = _ring_path()
        document = keyring.with_new_key(keyring.read_document(path), key_id, activate=activate)
        keyring.write_document(path, document)
        keyring.reload()
        typer.echo(f"added {key_id} to {path}" + (" (active); restart the servers, then run "
                                                  "`lendcore keys rotate`" if activate else ""))

    @keys.command("remove")
    def remove_cmd(key_id: str = typer.Argument(...)) -> None:
        """Remove a retired key from the ring: refused while any sealed value uses it."""
        path = _ring_path()
        document = keyring.without_key(keyring.read_document(path), key_id)
        use = key_use(_engine(), tables(), keyring.require_keys())
        n = use.by_key()[key_id]
        if n:
            raise RuleViolation(f"{n} sealed values still use {key_id!r}; run `lendcore keys "
                                "rotate` first", field="key_id", code="key_in_use")
        keyring.write_document(path, document)
        keyring.reload()
        typer.echo(f"removed {key_id} from {path}")

    app.add_typer(keys, name="keys")


def _ring_path() -> str:
    path = config.keyring_path()
    if path is None:
        raise ConfigurationError("LENDCORE_KEYRING is not set (the development ring is fixed)",
                                 field="LENDCORE_KEYRING")
    return path
