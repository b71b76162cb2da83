"""Small, hand-checked input files for the ETL tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ORDERS_CSV = """order_id,customer,amount,status,updated_at
1,alice,10.50,new,2024-01-01T10:00:00Z
1,alice,12.00,paid,2024-01-01T11:00:00Z
2,bob,-3.00,refund,2024-01-01T09:00:00Z
3,alice,100.00,paid,2024-01-02T08:00:00Z
3,alice,90.00,paid,2024-01-02T08:00:00Z
4,carol,5.00,new,2024-01-03T00:00:00Z
5,dave,7.25,new,2024-01-03T01:00:00Z
"""

CUSTOMERS_CSV = """customer,country
alice,FR
bob,DE
carol,FR
"""


@pytest.fixture
def etl_files(tmp_path: Path) -> Path:
    """A directory with orders.csv (updates, a refund, a time tie) and customers.csv."""
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    (tmp_path / "customers.csv").write_text(CUSTOMERS_CSV)
    return tmp_path
