"""Erasing a user while other clients update and create that user's memories, on every engine.

Writers run in threads, each on its own connections, during the erasure. It ends only when
a final count finds nothing of the user left, or fails saying what is left; it never reports
success with memories left, and its audit records name exactly the memories that went.
Writers that only update (and never pause) cannot keep it from finishing: a memory being
updated is still the user's, and is erased.
"""

import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connections
from django.db.models import Max

from memories.exceptions import DeletionUnfinishedError, MemoryNotFoundError
from memories.models import Channel, MemoryDeletion
from memories.services import DeletedBatch, memory_update, user_memories_erase
from memories.statements import Statements, statements_for
from memories.statements.postgresql import PostgreSQLStatements
from memories.targets import MemoryTarget, all_targets, resolve_target
from tests.conftest import require_db_id
from tests.factories import present_targets

# Every test runs on each db_id (the conftest's fixture), skipping unreachable servers.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture(autouse=True, params=["by_address", "by_id"])
def batches_chosen(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """PostgreSQL chooses each batch by physical address, an optimisation whose hazard
    (a row updated meanwhile is skipped) these races provoke: every race also runs with
    batches chosen the plain way, by id, and both must hold the same guarantees."""
    db_id = request.node.callspec.params.get("db_id")
    if db_id is not None:
        require_db_id(db_id)  # before its connection is asked for its vendor
    if request.param == "by_id":
        if db_id is None or connections[db_id].vendor != "postgresql":
            pytest.skip("only PostgreSQL chooses batches by address")
        monkeypatch.setattr(PostgreSQLStatements, "batch_clause", Statements.batch_clause)
    return str(request.param)


USER = "alice"
# Owners that MariaDB's usual collation confuses with USER (case, trailing spaces).
OTHERS = ["Alice", "alice ", "bob"]
MEMORIES = 200
UPDATERS = 4
# Each race runs twice: a single run of a lost-update race misses it now and then.
RUNS = 2
# Between two writes of one thread: on SQLite, where writers take turns, busy writers
# would otherwise keep the erasure waiting for the lock.
UPDATE_PAUSE = 0.0005
CREATE_PAUSE = 0.005
BATCH_SIZES = pytest.mark.parametrize("batch_size", [1, None], ids=["batch_of_1", "default_batch"])
# Batches after which the writers stop (None: the erasure's default batch size). With
# batches of 1 they write until the last few of USER's memories, when each update has the
# best chance to hit the memory the erasure is taking.
WRITING_BATCHES = {1: MEMORIES - 10, None: 1}
# Writes committed before the erasure starts, so that it begins among busy writers.
WARM_UP_COMMITS = 20
# An erasure outpaced by writers gives up after this many rounds.
MAX_ROUNDS = 3
# Batches after which an outpaced erasure that never gives up has its writers stopped, so
# that the test fails instead of running on.
OUTPACED_BATCHES = 2000
# Seconds a writer may take to finish its last write once stopped.
STOP_TIMEOUT = 60
CHANGELIST = "/admin/memories/memory/"
ADMIN_MEMORIES = 3
# Writers that never pause, all updating the same one of USER's memories (Hammer), and the
# updates they commit before an erasure starts among them.
HAMMERERS = 8
HAMMER_WARM_UP = 50
# USER's memories in an erasure among such writers, and how often each such erasure runs on
# PostgreSQL, where a batch chosen by address skips a row updated under it by chance: with 4
# runs, erasures whose batches all chose that way failed every one of a dozen tests. Elsewhere
# a statement always meets the row's latest version (SQLite's writers take turns, InnoDB's
# DELETE reads the latest committed row): one run, the waits for SQLite's lock being long.
HAMMERED_MEMORIES = 20
HAMMER_RUNS = 4


def hammer_runs(db_id: str) -> int:
    return HAMMER_RUNS if connections[db_id].vendor == "postgresql" else 1


def rows_of(target: MemoryTarget) -> dict[str, str | None]:
    """memory_id -> owner of every row in the target's table."""
    manager = target.model._default_manager.using(target.alias)
    return dict(manager.values_list("memory_id", "user_id"))


def mine(rows: dict[str, str | None]) -> set[str]:
    return {memory_id for memory_id, owner in rows.items() if owner == USER}


def bulk_create(target: MemoryTarget, owner: str, count: int) -> list[str]:
    """count new memories of owner, in one INSERT; their ids."""
    now = int(time.time())
    ids = [f"m-{uuid.uuid4()}" for _ in range(count)]
    model = target.model
    model._default_manager.using(target.alias).bulk_create(
        model(memory_id=memory_id, memory=f"note {memory_id}", user_id=owner, created_at=now)
        for memory_id in ids
    )
    return ids


def audit_mark() -> int:
    """The newest audit record's id: the records written afterwards have greater ids."""
    return MemoryDeletion.objects.aggregate(newest=Max("pk"))["newest"] or 0


def audited(since: int) -> Counter[tuple[str, str]]:
    """Memories deleted per (db_id, table), by the audit records written since the mark."""
    counts: Counter[tuple[str, str]] = Counter()
    for record in MemoryDeletion.objects.filter(pk__gt=since):
        counts[record.db_id, record.table_name] += record.count
    return counts


@dataclass
class Scene:
    """USER's memories in every table of one db_id, among other owners' that must survive."""

    db_id: str
    main: MemoryTarget
    targets: list[MemoryTarget]
    before: dict[MemoryTarget, dict[str, str | None]]
    mark: int

    @classmethod
    def seed(cls, db_id: str, memories: int = MEMORIES, *, everywhere: bool = False) -> "Scene":
        """USER's memories in db_id's tables; the erasure covers those tables, or with
        `everywhere` every configured one."""
        main = resolve_target(db_id=db_id)
        targets = [target for target in all_targets() if everywhere or target.db_id == db_id]
        present = present_targets(targets)
        for target in present:
            if target.db_id == db_id:
                bulk_create(target, USER, memories if target == main else 3)
                for owner in OTHERS:
                    bulk_create(target, owner, 1)
        before = {target: rows_of(target) for target in present}
        return cls(db_id, main, targets, before, audit_mark())

    @property
    def originals(self) -> set[str]:
        """USER's memories in the main table, where the writers write."""
        return mine(self.before[self.main])

    def left(self) -> dict[MemoryTarget, set[str]]:
        """USER's memories still there, per table."""
        return {target: mine(rows_of(target)) for target in self.before}

    def assert_others_untouched(self) -> None:
        for target, rows in self.before.items():
            now = rows_of(target)
            others = {memory_id: owner for memory_id, owner in rows.items() if owner != USER}
            assert {memory_id: now.get(memory_id) for memory_id in others} == others

    def assert_audit_names_what_went(self, created: Iterable[str]) -> int:
        """The audit records name each memory that went, once; their total count."""
        records = list(MemoryDeletion.objects.filter(pk__gt=self.mark))
        assert all(record.user_ids == [USER] for record in records)
        named = Counter(
            (record.db_id, record.table_name, memory_id)
            for record in records
            for memory_id in record.memory_ids
        )
        assert [entry for entry, times in named.items() if times > 1] == []
        existed = {(t.db_id, t.table, i) for t, rows in self.before.items() for i in mine(rows)}
        existed |= {(self.db_id, self.main.table, memory_id) for memory_id in created}
        left = {(t.db_id, t.table, i) for t, ids in self.left().items() for i in ids}
        assert set(named) == existed - left
        return sum(record.count for record in records)

    def assert_erased(self, created: Iterable[str], deleted: int) -> None:
        """Nothing of USER left; deleted counts every memory USER had, as the audit does."""
        created = list(created)
        left = {f"{t.db_id}/{t.table}": len(ids) for t, ids in self.left().items()}
        assert left == dict.fromkeys(left, 0)
        self.assert_others_untouched()
        existed = sum(len(mine(rows)) for rows in self.before.values()) + len(created)
        assert deleted == self.assert_audit_names_what_went(created) == existed


class Writers:
    """Threads updating and creating USER's memories in one table until stopped.

    Each thread writes on its own connections, closed when it ends. An error in a writer
    is kept in `errors`, for the test to report.
    """

    def __init__(
        self,
        target: MemoryTarget,
        memory_ids: Iterable[str],
        *,
        updaters: int = 0,
        creators: int = 0,
        rows_per_create: int = 1,
        warm_up: int = WARM_UP_COMMITS,
    ) -> None:
        self.target, self.rows_per_create, self.warm_up = target, rows_per_create, warm_up
        self.live = list(memory_ids)  # what updaters pick from: USER's memories not yet gone
        self.created: list[str] = []
        self.errors: list[BaseException] = []
        self.commits = 0
        self.committed = threading.Condition()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(self._update, UPDATE_PAUSE))
            for _ in range(updaters)
        ]
        self._threads += [
            threading.Thread(target=self._run, args=(self._create, CREATE_PAUSE))
            for _ in range(creators)
        ]

    def __enter__(self) -> "Writers":
        """Start the writers; return once they have committed `warm_up` writes."""
        for thread in self._threads:
            thread.start()
        self.wait_for_commit_after(self.warm_up - 1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop every writer and wait until its last write has committed."""
        self._stopping.set()
        for thread in self._threads:
            # A writer waiting for a lock that its caller holds would never end: fail instead.
            thread.join(timeout=STOP_TIMEOUT)
            if thread.is_alive():
                self.errors.append(TimeoutError(f"a writer still runs after {STOP_TIMEOUT}s"))
        with self.committed:
            self.committed.notify_all()

    def wait_for_commit_after(self, commits: int) -> int:
        """Wait until a write commits beyond the first `commits`; the count of commits."""
        with self.committed:
            self.committed.wait_for(
                lambda: self.commits > commits or self._stopping.is_set() or self.errors,
                timeout=30,
            )
            return self.commits

    def _run(self, write: Callable[[], None], pause: float) -> None:
        try:
            while not self._stopping.is_set():
                write()
                with self.committed:
                    self.commits += 1
                    self.committed.notify_all()
                time.sleep(pause)
        except BaseException as error:
            with self.committed:
                self.errors.append(error)
                self.committed.notify_all()
        finally:
            connections.close_all()

    def _update(self) -> None:
        with self.committed:
            memory_id = random.choice(self.live) if self.live else None
        if memory_id is None:
            return
        try:
            memory_update(
                target=self.target,
                memory_id=memory_id,
                user_id=None,
                changes={"memory": f"edited {uuid.uuid4()}"},
            )
        except MemoryNotFoundError:
            # Erased: keep to the memories still there, where the erasure can trip.
            with self.committed:
                if memory_id in self.live:
                    self.live.remove(memory_id)

    def _create(self) -> None:
        ids = bulk_create(self.target, USER, self.rows_per_create)
        with self.committed:
            self.created += ids
            self.live += ids


class Hammer:
    """Writers that never pause: threads, each on its own connections, updating one of
    USER's memories over and over (all the same one, the first still there), from before
    the erasure starts until it has returned, as an agent busy with that memory would."""

    def __init__(self, target: MemoryTarget, memory_ids: list[str]) -> None:
        self.target = target
        self.live = list(memory_ids)  # USER's memories not yet gone, the hammered one first
        self.updates = 0
        self.errors: list[BaseException] = []
        self.lock = threading.Condition()
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(HAMMERERS)]

    def __enter__(self) -> "Hammer":
        """Start the writers; return once they have committed HAMMER_WARM_UP updates."""
        for thread in self._threads:
            thread.start()
        with self.lock:
            self.lock.wait_for(lambda: self.updates >= HAMMER_WARM_UP or self.errors, 30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=STOP_TIMEOUT)
            if thread.is_alive():
                self.errors.append(TimeoutError(f"a writer still runs after {STOP_TIMEOUT}s"))

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                with self.lock:
                    if not self.live:
                        return  # every memory of USER is gone: nothing left to update
                    memory_id = self.live[0]
                try:
                    memory_update(
                        target=self.target,
                        memory_id=memory_id,
                        user_id=USER,
                        changes={"memory": f"edited {uuid.uuid4()}"},
                    )
                except MemoryNotFoundError:
                    with self.lock:
                        if memory_id in self.live:
                            self.live.remove(memory_id)
                    continue
                with self.lock:
                    self.updates += 1
                    self.lock.notify_all()
        except BaseException as error:
            with self.lock:
                self.errors.append(error)
                self.lock.notify_all()
        finally:
            connections.close_all()


def erase(
    scene: Scene,
    batch_size: int | None,
    on_batch: Callable[[DeletedBatch], None] | None = None,
    **options: Any,
) -> int:
    """Erase USER's memories in the scene's tables through the service; how many went.

    The totals per table are checked against the audit records the erasure wrote.
    """
    if batch_size is not None:
        options["batch_size"] = batch_size  # None: the service's default
    mark = audit_mark()
    totals = user_memories_erase(
        user_id=USER,
        targets=scene.targets,
        actor="race",
        channel=Channel.COMMAND,
        on_batch=on_batch,
        **options,
    )
    counts = audited(mark)
    assert {(t.db_id, t.table): n for t, n in totals.items() if n} == dict(counts)
    return sum(totals.values())


def stopping_after(writers: Writers, batches: int) -> Callable[[DeletedBatch], None]:
    """An on_batch that stops the writers after that many batches."""
    done = 0

    def on_batch(batch: DeletedBatch) -> None:
        nonlocal done
        done += 1
        if done == batches:
            writers.stop()

    return on_batch


def race(db_id: str, batch_size: int | None, *, updaters: int, creators: int) -> None:
    """Erase while writers update (and create) USER's memories. The erasure stops them
    itself, so that all they wrote has committed before its last batches and final count."""
    for _ in range(RUNS):
        scene = Scene.seed(db_id)
        writers = Writers(scene.main, scene.originals, updaters=updaters, creators=creators)
        with writers:
            deleted = erase(
                scene, batch_size, stopping_after(writers, WRITING_BATCHES[batch_size])
            )
        assert writers.errors == []
        scene.assert_erased(writers.created, deleted)


@BATCH_SIZES
def test_erasure_catches_memories_updated_while_it_runs(db_id, batch_size):
    race(db_id, batch_size, updaters=UPDATERS, creators=0)


@BATCH_SIZES
def test_erasure_catches_memories_created_and_updated_while_it_runs(db_id, batch_size):
    race(db_id, batch_size, updaters=UPDATERS - 1, creators=1)


def test_erasure_in_batches_of_the_engines_size_catches_concurrent_writes(db_id):
    # More memories than one batch of the engine's default size (50,000 on PostgreSQL, each
    # batch a long transaction), updated and created while the first batch runs.
    size = statements_for(resolve_target(db_id=db_id).alias).batch_size
    scene = Scene.seed(db_id, size + 500)
    writers = Writers(scene.main, scene.originals, updaters=UPDATERS - 1, creators=1)
    batches: list[int] = []

    def on_batch(batch: DeletedBatch) -> None:
        batches.append(batch.deleted)
        if len(batches) == 1:
            writers.stop()

    with writers:
        deleted = erase(scene, None, on_batch)

    assert writers.errors == []
    # Chosen by address, a batch may miss the rows updated under it: later ones take them.
    assert len(batches) >= 2 and max(batches) <= size
    scene.assert_erased(writers.created, deleted)


@pytest.mark.parametrize("batch_size", [1, None], ids=["batch_of_1", "default_batch"])
def test_erasure_finishes_while_writers_keep_updating(db_id, batch_size):
    # An agent keeps updating one of the user's memories for the whole erasure: the
    # memory is still the user's, and the erasure takes it (and finishes) every time.
    for _ in range(hammer_runs(db_id)):
        scene = Scene.seed(db_id, HAMMERED_MEMORIES)
        with Hammer(scene.main, sorted(scene.originals)) as hammer:
            deleted = erase(scene, batch_size)
        assert hammer.errors == [] and hammer.updates >= HAMMER_WARM_UP
        scene.assert_erased([], deleted)


def test_command_finishes_while_writers_keep_updating(db_id):
    for _ in range(hammer_runs(db_id)):
        scene = Scene.seed(db_id, HAMMERED_MEMORIES)
        out = StringIO()
        command = ["erase_user_memories", USER, "--yes", "--db-id", db_id]
        # The writers update the user's memories until the command has returned.
        with Hammer(scene.main, sorted(scene.originals)) as hammer:
            call_command(*command, stdout=out)
        assert hammer.errors == [] and hammer.updates >= HAMMER_WARM_UP

        printed = re.search(rf"Deleted (\d+) memories of '{USER}'\.", out.getvalue())
        assert printed is not None, out.getvalue()
        scene.assert_erased([], int(printed[1]))


def test_erasure_outpaced_by_writers_fails_then_a_rerun_finishes(db_id):
    scene = Scene.seed(db_id, memories=10)
    writers = Writers(scene.main, [], creators=1, rows_per_create=2, warm_up=0)
    commits, batches = 0, 0

    def outpaced(batch: DeletedBatch) -> None:
        # At least one commit of 2 new memories per memory deleted: always more to do.
        nonlocal commits, batches
        batches += 1
        if batches == OUTPACED_BATCHES:
            writers.stop()
        commits = writers.wait_for_commit_after(commits)

    with writers:
        with pytest.raises(DeletionUnfinishedError) as raised:
            erase(scene, 1, outpaced, max_rounds=MAX_ROUNDS)
        unfinished = raised.value
        assert dict(audited(scene.mark)) == {key: n for key, n in unfinished.deleted.items() if n}
        assert (unfinished.remaining.get((db_id, scene.main.table)) or 0) > 0
        scene.assert_others_untouched()
    assert writers.errors == []

    deleted = erase(scene, 1)

    scene.assert_erased(writers.created, sum(unfinished.deleted.values()) + deleted)


def test_admin_erasure_finishes_while_writers_keep_updating(db_id, client):
    client.force_login(User.objects.create_superuser("operator", "op@example.com", "s3cret"))
    for _ in range(hammer_runs(db_id)):
        # The admin erases in batches of the default size, everywhere, while the writers
        # keep updating the user's memories until the erasure has returned.
        scene = Scene.seed(db_id, ADMIN_MEMORIES, everywhere=True)
        form = {
            "action": "erase_selected_users",
            "_selected_action": [min(scene.originals)],
            "confirmed": "yes",
        }
        with Hammer(scene.main, sorted(scene.originals)) as hammer:
            response = client.post(
                f"{CHANGELIST}?target={db_id}:{scene.main.table}", form, follow=True
            )
        assert hammer.errors == [] and hammer.updates >= HAMMER_WARM_UP

        # The changelist it redirects to shows (and so clears) the action's messages.
        assert [status for _, status in response.redirect_chain] == [302]
        shown = {note.level: note.message for note in get_messages(response.wsgi_request)}
        assert list(shown) == [messages.SUCCESS], shown
        erased = re.search(r"Erased (\d+) memories", shown[messages.SUCCESS])
        assert erased is not None
        scene.assert_erased([], int(erased[1]))
