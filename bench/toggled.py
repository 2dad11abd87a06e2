"""Each CPU saving of a DELETE /memories/{memory_id} switched off and on inside one process,
delete by delete (A, B, B, A...), so that both sides share the machine's load. With --bulk,
each request is a bulk DELETE /memories of 1000 ids shaped as Agno's (uuid4 strings), and the
savings are those of that path.

On this shared 2-core virtual machine two processes running the same code differed by 20-40%
in CPU per delete (bench/interleaved.py, one checkout twice), and blocks of 50 deletes of one
process by as much: the load changes faster than that. Each toggle puts back what the code
did before a saving and takes it away again, around single deletes; a delete's figure is its
time on the CPU (its wall time less the database's waits), and a saving is the median
delete before less the median delete after, median (min-max) over chunks of the pairs.

    .venv/bin/python bench/toggled.py --pairs 1000
    .venv/bin/python bench/toggled.py --bulk --pairs 200
"""

import argparse
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bulk import agno_shaped_id  # noqa: E402
from bench.profile import configured_database, environ  # noqa: E402
from bench.run import Database  # noqa: E402


@contextmanager
def record_insert_built_per_delete() -> Iterator[None]:
    """The audit records' INSERT quoted name by name for every delete, as before."""
    from memories.statements import postgresql

    built = postgresql._record_insert

    def every_time(statements: Any) -> str:
        postgresql._record_inserts.clear()
        return built(statements)

    with mock.patch.object(postgresql, "_record_insert", every_time):
        yield


@contextmanager
def limit_built_per_request() -> Iterator[None]:
    """A new statement limit per alias per request, as before."""
    from memories import statement_limits

    with mock.patch.object(statement_limits, "limit_for", statement_limits._new_limit):
        yield


@contextmanager
def serializer_validates_identifiers() -> Iterator[None]:
    """The query serializer run on every request, as before."""
    from memories import views

    with mock.patch.object(views, "accepted_identifiers", lambda serializer_class, data: None):
        yield


@contextmanager
def request_id_from_the_headers_map() -> Iterator[None]:
    """The request id read through request.headers, which maps every header first, as
    before (the middleware's code as it was)."""
    from memories import requests

    def call(self: Any, request: Any) -> Any:
        request_id = requests.request_id_of(request.headers.get(requests.HEADER))
        token = requests._current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            requests._current.reset(token)
        response[requests.HEADER] = request_id
        return response

    with mock.patch.object(requests.RequestIdMiddleware, "__call__", call):
        yield


@contextmanager
def identifiers_searched_by_regular_expressions() -> Iterator[None]:
    """Every id searched for controls and surrogates by the two regular expressions, as
    before (the bulk request's 1000 ids joined, a delete's parameters one by one)."""
    from memories import serializers, validators

    def searched(text: str) -> bool:
        return bool(
            validators.CONTROL_CHARACTERS.search(text) or validators.SURROGATES.search(text)
        )

    with (
        mock.patch.object(validators, "holds_control_or_surrogate", searched),
        mock.patch.object(serializers, "holds_control_or_surrogate", searched),
    ):
        yield


@contextmanager
def no_content_rendered_by_drf() -> Iterator[None]:
    """The 204 built as DRF's Response and rendered by the negotiated renderer, as before."""
    from rest_framework.response import Response

    from memories import views

    with mock.patch.object(views, "no_content", lambda: Response(status=204)):
        yield


TOGGLES: dict[str, Callable[[], AbstractContextManager[None]]] = {
    "audit INSERT built once": record_insert_built_per_delete,
    "statement limit kept per connection": limit_built_per_request,
    "identifier parameters without the serializer": serializer_validates_identifiers,
    "request id from META": request_id_from_the_headers_map,
    "ids checked without regular expressions": identifiers_searched_by_regular_expressions,
    "204 built directly": no_content_rendered_by_drf,
}
BULK_TOGGLES = {
    "ids checked without regular expressions": identifiers_searched_by_regular_expressions,
}


@contextmanager
def all_off() -> Iterator[None]:
    with ExitStack() as stack:
        for toggle in TOGGLES.values():
            stack.enter_context(toggle())
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000, help="Pairs of deletes per saving.")
    parser.add_argument("--only", action="append", help="A saving's name (repeatable).")
    parser.add_argument(
        "--bulk", action="store_true", help="Bulk DELETE /memories of 1000 ids per request."
    )
    args = parser.parse_args()
    with configured_database("postgres") as (database, key):
        measure(database, key, args)


def measure(database: Database, key: str, args: argparse.Namespace) -> None:
    import django
    import jwt
    import psycopg
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from agentos.wsgi import application

    logging.disable(logging.NOTSET)
    available = BULK_TOGGLES if args.bulk else TOGGLES
    toggles = {name: available[name] for name in args.only} if args.only else dict(available)
    if not args.bulk:
        toggles["all of them"] = all_off
    warm_up = 30 if args.bulk else 300
    requests = warm_up + 2 * args.pairs * len(toggles)
    now = int(time.time())
    users = [f"user{n}" for n in range(50)]
    tokens = {
        user: jwt.encode({"sub": user, "iat": now, "exp": now + 3600}, key, algorithm="HS256")
        for user in users
    }
    if args.bulk:
        ids = [agno_shaped_id(n) for n in range(1000 * requests)]
        database.seed(dict.fromkeys(ids, users[0]))
        bodies = (
            json.dumps({"memory_ids": ids[at : at + 1000]}) for at in range(0, len(ids), 1000)
        )
        plan = iter([environ("/memories", tokens[users[0]], body.encode()) for body in bodies])
    else:
        owners = {f"m{n:07}": users[n % 50] for n in range(requests)}
        database.seed(owners)
        plan = iter([environ(f"/memories/{m}", tokens[u]) for m, u in owners.items()])

    waited = [0.0]
    wait = psycopg.Connection.wait

    def timed_wait(*wait_args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return wait(*wait_args, **kwargs)
        finally:
            waited[0] += (time.perf_counter() - wall) - (time.thread_time() - cpu)

    psycopg.Connection.wait = timed_wait  # type: ignore[method-assign]

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        if not status.startswith("204"):
            raise RuntimeError(f"unexpected {status}")
        return lambda data: None

    def delete() -> float:
        """One delete's time on the CPU: its wall time less the database's waits."""
        request = next(plan)
        waited[0], started = 0.0, time.perf_counter()
        response = application(request, start_response)
        b"".join(response)
        response.close()
        return time.perf_counter() - started - waited[0]

    for _ in range(warm_up):  # connect, warm the caches and the tokens
        delete()
    what = "bulk requests of 1000 ids" if args.bulk else "deletes"
    print(f"{args.pairs} pairs of {what} per saving, in {CHUNKS} chunks; us on the CPU")
    for name, toggle in toggles.items():
        offs, ons = [], []
        for pair in range(args.pairs):
            # off, on, then on, off: neither side always runs first.
            if pair % 2 == 0:
                with toggle():
                    offs.append(delete())
                ons.append(delete())
            else:
                ons.append(delete())
                with toggle():
                    offs.append(delete())
        size = args.pairs // CHUNKS
        savings = [
            statistics.median(offs[at : at + size]) - statistics.median(ons[at : at + size])
            for at in range(0, size * CHUNKS, size)
        ]
        print(
            f"{name}: before {1e6 * statistics.median(offs):.0f}, "
            f"after {1e6 * statistics.median(ons):.0f}, saved {spread(savings)}",
            flush=True,
        )
    assert not database.memory_ids(), "memories left"


# The pairs of a saving fall in this many chunks: the saving's min-max is over them.
CHUNKS = 5


def spread(values: list[float]) -> str:
    """Median (min-max), in microseconds."""
    return (
        f"{1e6 * statistics.median(values):.1f} "
        f"({1e6 * min(values):.1f} to {1e6 * max(values):.1f})"
    )


if __name__ == "__main__":
    main()
