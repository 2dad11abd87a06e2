"""API operations over many memories at once: the export, and deletion by filter."""

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response

from memories.exceptions import BadRequest, DatabasesUnreachableError
from memories.export_streams import NDJSON, AsyncChunks, BoundedExport, export_lines, streamed
from memories.models import Channel
from memories.permissions import DELETE_SCOPE, READ_SCOPE, IsAdminToken
from memories.schema import MemoryAutoSchema, documented
from memories.schema_parts import (
    BAD_REQUEST,
    DATABASE_UNAVAILABLE_RESPONSE,
    EXPORTS_BUSY_RESPONSE,
    NOT_IMPLEMENTED,
    UNAUTHENTICATED,
    internal_error,
)
from memories.selectors import deletion_plan
from memories.serializers import (
    DeletionFilterSerializer,
    DeletionReportSerializer,
    ExportLineSerializer,
    ExportQuerySerializer,
    memory_filter_of,
)
from memories.services import ExportOutcome, memories_delete_matching, memories_export
from memories.targets import MemoryTarget, all_targets, require_table, resolve_target
from memories.views import MemoryAPIView, NotProvidedView, validated_body, validated_params
from memories.wording import memories_counted


def export_targets(db_id: str | None, table: str | None, *, every: bool) -> list[MemoryTarget]:
    """The tables an export covers: the one named (it must exist), or with `every` each
    configured table (the export skips those that do not exist, and names those it cannot
    reach)."""
    if every:
        if db_id is not None or table is not None:
            raise BadRequest(gettext("all_databases cannot be combined with db_id or table"))
        return all_targets()
    return [named_target(db_id, table)]


def deletion_targets(db_id: str | None, table: str | None) -> list[MemoryTarget]:
    """The tables a deletion by filter covers: the one named (it must exist), or without
    db_id and table each configured table (the deletion skips those that do not exist, and
    names those it cannot reach)."""
    if db_id is None and table is None:
        return all_targets()
    return [named_target(db_id, table)]


def named_target(db_id: str | None, table: str | None) -> MemoryTarget:
    """The target named by db_id and table, whose table exists. Its database failing is a
    500, as on every route about one database."""
    target = resolve_target(db_id=db_id, table=table)
    require_table(target)
    return target


class MemoryExportView(MemoryAPIView):
    """GET /memory_export: the caller's memories (an admin's: user_id's, or everyone's)."""

    def required_scope(self) -> str | None:
        return READ_SCOPE

    @documented(
        operation_id="export_memories",
        summary="Export Memories",
        description=(
            "Streams newline-delimited JSON, one memory a line with the fields of "
            "GET /memories/{memory_id}: the token's own memories, or with an admin token "
            "user_id's (everyone's without user_id). With all_databases=true it covers every "
            "configured db_id and table, and each line names its db_id and table. Each table "
            "exported writes an audit record (who, whose, where, how many, whether it "
            "finished). A database that cannot be read does not stop the others: the stream "
            "then ends with one more line in the error shape, "
            '{"detail", "error_code": "DATABASE_UNAVAILABLE", "unreachable": [{"db_id", '
            '"table"}]}, naming the tables whose memories it lacks (all of them, or those '
            "after their last line); no memory line has an error_code. When every such "
            "table was cut by MEMORIES['STATEMENT_TIMEOUT'], that line's error_code is "
            "STATEMENT_TIMEOUT instead. Each server "
            "process streams at most MEMORIES['EXPORT_MAX_CONCURRENT'] exports at once "
            "(503 EXPORTS_BUSY beyond), each for at most MEMORIES['EXPORT_MAX_SECONDS'] "
            "seconds: past it the connection ends before the body's end."
        ),
        parameters=[ExportQuerySerializer],
        responses={
            (200, NDJSON): OpenApiResponse(
                ExportLineSerializer, description="One JSON memory per line"
            ),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            404: OpenApiResponse(description="db_id or table not found"),
            422: OpenApiResponse(description="A parameter fails validation"),
            503: EXPORTS_BUSY_RESPONSE,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        params = validated_params(ExportQuerySerializer, request)
        targets = export_targets(
            params.get("db_id"), params.get("table"), every=params["all_databases"]
        )
        outcome = ExportOutcome()
        rows = memories_export(
            targets=targets,
            user_id=self.get_owner(params.get("user_id")),
            actor=self.principal.subject,
            channel=Channel.API,
            outcome=outcome,
        )
        lines = export_lines(rows, with_target=params["all_databases"], outcome=outcome)
        return export_response(streamed(request._request, BoundedExport(lines)))

    def head(self, request: Request) -> StreamingHttpResponse:
        # GET's checks of its parameters and tables, and its headers, without its body: the
        # server would read every row only to drop them, and record an export nobody
        # received. No row is read, no export slot taken and no audit record written.
        params = validated_params(ExportQuerySerializer, request)
        export_targets(params.get("db_id"), params.get("table"), every=params["all_databases"])
        return export_response(streamed(request._request, iter(())))


def export_response(body: "Iterator[bytes] | AsyncChunks") -> StreamingHttpResponse:
    """An export's response: NDJSON, streamed (no Content-Length), as a file."""
    response = StreamingHttpResponse(body, content_type=NDJSON)
    response["Content-Disposition"] = 'attachment; filename="memories.ndjson"'
    return response


class MemoryDeletionView(MemoryAPIView):
    """POST /memory_deletions: delete (or count) every memory matching a filter; admins only."""

    permission_classes = [*MemoryAPIView.permission_classes, IsAdminToken]

    def required_scope(self) -> str | None:
        return DELETE_SCOPE

    @documented(
        operation_id="delete_memories_by_filter",
        summary="Delete Memories By Filter",
        description=(
            "For admin tokens. Deletes every memory matching all the given filters (at least "
            "one) in db_id/table, or in every configured db_id and table, in batches with one "
            "audit record each; it ends only when a final count finds nothing matching left. "
            "With dry_run it only counts. 409 DELETION_UNFINISHED when writers kept adding "
            "matching memories. Without db_id, 503 DATABASE_UNAVAILABLE names each "
            "db_id/table whose database could not be reached (the others are deleted, or "
            "counted, all the same); 500 STATEMENT_TIMEOUT instead when each of them was cut "
            "by MEMORIES['STATEMENT_TIMEOUT']. What was deleted stays deleted and audited, and "
            "only that."
        ),
        request=DeletionFilterSerializer,
        responses={
            200: DeletionReportSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: OpenApiResponse(description="Not an admin token"),
            404: OpenApiResponse(description="db_id or table not found"),
            409: OpenApiResponse(
                description="Unfinished",
                examples=[
                    OpenApiExample(
                        "DELETION_UNFINISHED",
                        value={
                            "detail": "Unfinished after deleting 19 memories "
                            "(default/agno_memories: 2 left)",
                            "error_code": "DELETION_UNFINISHED",
                        },
                    )
                ],
            ),
            422: OpenApiResponse(description="A field fails validation, or no filter given"),
            500: internal_error("A database failed, or a statement ran past the time limit"),
            503: DATABASE_UNAVAILABLE_RESPONSE,
        },
    )
    def post(self, request: Request) -> Response:
        body = validated_body(DeletionFilterSerializer, request)
        targets = deletion_targets(body.get("db_id"), body.get("table"))
        memory_filter = memory_filter_of(body)
        if body["dry_run"]:
            plan = deletion_plan(targets=targets, memory_filters=[memory_filter])
            counts = {item.target: item.count for item in plan if item.count is not None}
            failed = [item for item in plan if not item.is_reachable]
            if failed:
                counted = memories_counted(sum(counts.values()))
                done = gettext("counted %(count)s in the others; nothing was deleted") % {
                    "count": counted
                }
                cuts = [item.timed_out for item in failed]
                raise DatabasesUnreachableError(
                    [(item.target.db_id, item.target.table) for item in failed],
                    done=done,
                    timed_out=None if None in cuts else max(cut for cut in cuts if cut),
                )
        else:
            counts = memories_delete_matching(
                memory_filter=memory_filter,
                targets=targets,
                actor=self.principal.subject,
                channel=Channel.API,
            )
        tables = [
            {"db_id": target.db_id, "table": target.table, "count": count}
            for target, count in counts.items()
        ]
        total = sum(counts.values())
        return Response({"dry_run": body["dry_run"], "total": total, "tables": tables})


# Agno AgentOS routes beside the memory API that Agno's client calls (agno.client.os), and
# what they are: memories.agentos_urls answers each with 501.
AGENTOS_ROOTS = {
    "config": _("the AgentOS configuration"),
    "databases": _("database migrations"),
    "agents": _("agents"),
    "teams": _("teams"),
    "workflows": _("workflows"),
    "sessions": _("sessions"),
    "eval-runs": _("evaluation runs"),
    "knowledge": _("knowledge bases"),
    "traces": _("traces"),
    "trace_session_stats": _("trace statistics"),
    "metrics": _("metrics"),
}


class OptimizeMemoriesView(NotProvidedView):
    """POST /optimize-memories: Agno's memory optimization, which needs a model; not here."""

    what = _("memory optimization (Agno's optimize_memories), which needs a model")
    schema = MemoryAutoSchema()

    @documented(
        operation_id="optimize_memories",
        summary="Optimize User Memories",
        description=(
            "Not provided: Agno's AgentOS rewrites a user's memories with a model here, and "
            "this server administers memories without one. Any method answers 501 "
            "NOT_IMPLEMENTED, with or without a token. So do the other Agno AgentOS routes "
            "that Agno's client calls, where the host includes memories.agentos_urls: "
            + ", ".join(f"/{root}" for root in AGENTOS_ROOTS)
            + "."
        ),
        request=None,
        responses={501: NOT_IMPLEMENTED},
    )
    def post(self, request: Request) -> Response:
        raise self.refusal()  # initial() has refused already
