"""The same partitions run on a Dask cluster when LENDCORE_DASK_SCHEDULER is set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from lendcore.eod.run import run_through
from lendcore.ledger.store import audit
from tests.eod.conftest import BUSINESS_DATE, assert_row_is_reference, url_of


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.mark.slow
def test_a_day_closed_through_a_local_dask_cluster(book: Engine, cluster: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_DASK_SCHEDULER", cluster)
    through = BUSINESS_DATE + timedelta(days=2)
    reports = run_through(url_of(book), through, partitions=4, steps=())
    assert [r.partitions for r in reports] == [4, 4, 4]
    with book.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM loans ORDER BY id LIMIT 40").all()]
        for loan_id in ids:
            assert_row_is_reference(conn, loan_id, through + timedelta(days=1))
        assert audit(conn) == []
