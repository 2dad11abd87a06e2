"""The reads of MemoryViewSet run a bounded number of queries, whatever the table holds."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.factories import model_of

pytestmark = pytest.mark.django_db(databases="__all__")


class QueryCountTests:
    @pytest.fixture
    def ten_thousand(self, db_id):
        model = model_of(db_id)
        model._default_manager.using(db_id).bulk_create(
            (
                model(
                    memory_id=f"m{n:05}",
                    memory=f"memory {n}",
                    user_id=f"user{n % 50}",
                    topics=[f"t{n % 7}"],
                    created_at=n,
                    updated_at=n,
                )
                for n in range(10_000)
            ),
            batch_size=1000,
        )
        return db_id

    @pytest.mark.parametrize(
        "path, queries",
        [
            ("/memories?limit=100&topics=t1&search_content=memory", 2),
            ("/memories/m00042", 1),
            # One statement unnests every row's topics in the database.
            ("/memory_topics", 1),
            # The number of users comes with the page's rows (a window over the groups)...
            ("/user_memory_stats?limit=100", 1),
            # ... and is counted apart only for a page past the last (50 users here).
            ("/user_memory_stats?limit=100&page=2", 2),
        ],
    )
    def test_reads_use_a_bounded_number_of_queries(self, as_user, ten_thousand, path, queries):
        db_id = ten_thousand
        client = as_user("root", admin=True)
        separator = "&" if "?" in path else "?"

        with CaptureQueriesContext(connections[db_id]) as captured:
            response = client.get(f"{path}{separator}db_id={db_id}")

        assert response.status_code == 200
        selects = [q for q in captured.captured_queries if "SELECT" in q["sql"]]
        assert len(selects) == queries
