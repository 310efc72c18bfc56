"""insert_ignoring: ON CONFLICT DO NOTHING that renders right on both dialects and is cached."""

from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql, sqlite

from store.db import insert_ignoring
from store.outbox import OutboxRow
from store.rollcall import MarkRow


def test_statement_has_a_cache_key() -> None:
    # SQLAlchemy's own dialect inserts have none, so they were compiled at every execution
    one = insert_ignoring(MarkRow, "roll_call_id", "person_id").values(roll_call_id=1, person_id=2)
    two = insert_ignoring(MarkRow, "roll_call_id", "person_id").values(roll_call_id=3, person_id=4)
    key_one, key_two = one._generate_cache_key(), two._generate_cache_key()
    assert key_one is not None and key_two is not None
    assert key_one == key_two  # same shape, other values: one compiled form


def test_other_conflict_target_is_another_statement() -> None:
    one = insert_ignoring(MarkRow, "roll_call_id", "person_id").values(roll_call_id=1)
    other = insert_ignoring(MarkRow, "id").values(roll_call_id=1)
    assert one._generate_cache_key() != other._generate_cache_key()


def test_renders_conflict_clause_before_returning_on_both_dialects() -> None:
    statement = (
        insert_ignoring(OutboxRow, "key")
        .values([{"key": "a", "conversation_id": 1}, {"key": "b", "conversation_id": 1}])
        .returning(OutboxRow.id)
    )
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        sql = " ".join(str(statement.compile(dialect=dialect)).split())
        assert sql.startswith("INSERT INTO outbox (")
        assert re.search(r'\) ON CONFLICT \("key"\) DO NOTHING RETURNING (outbox\.)?id$', sql), sql
        assert sql.count("VALUES") == 1
