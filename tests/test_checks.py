"""System checks report a misconfigured host project by id."""

import pytest
from django.core.checks import run_checks
from django.test import modify_settings, override_settings

from memories.conf import memories_settings
from tests.conftest import memories_with


def check_ids(*, deploy: bool = False) -> set[str]:
    return {
        message.id
        # Settings alone (Django 6 would check the models against every connection).
        for message in run_checks(include_deployment_checks=deploy, databases=[])
        if message.id and message.id.startswith("memories.")
    }


def test_checks_pass_for_the_test_configuration():
    assert check_ids(deploy=True) == set()


def test_db_id_mapped_to_an_unknown_alias_is_an_error():
    with override_settings(
        MEMORIES=memories_with(DATABASES={"default": "default", "x": "nowhere"}, TABLES={})
    ):
        assert check_ids() == {"memories.E001"}


def test_default_db_id_must_be_configured():
    with override_settings(MEMORIES=memories_with(DATABASES={"lite": "lite"}, TABLES={})):
        assert check_ids() == {"memories.E002"}


def test_missing_router_is_an_error():
    with override_settings(DATABASE_ROUTERS=[]):
        assert check_ids() == {"memories.E003"}


def test_tables_of_an_unknown_db_id_are_an_error():
    with override_settings(MEMORIES={**_memories(), "TABLES": {"nope": ["agno_memories"]}}):
        assert check_ids() == {"memories.E004"}


def test_table_configured_twice_is_an_error():
    tables = {"lite": ["agno_memories", "agno_memories"]}
    with override_settings(MEMORIES={**_memories(), "TABLES": tables}):
        assert check_ids() == {"memories.E005"}


@pytest.mark.parametrize(
    "jwt_settings, missing",
    [
        ({"JWT_ALGORITHM": "HS256", "JWT_SIGNING_KEY": ""}, "JWT_SIGNING_KEY"),
        ({"JWT_ALGORITHM": "RS256", "JWT_SIGNING_KEY": "private"}, "JWT_VERIFYING_KEY"),
    ],
)
def test_missing_token_key_warns_and_fails_the_deploy_check(jwt_settings, missing):
    with override_settings(MEMORIES=memories_with(**jwt_settings)):
        assert check_ids() == {"memories.W001"}
        assert check_ids(deploy=True) == {"memories.W001", "memories.E006"}
        messages = [m for m in run_checks(databases=[]) if m.id == "memories.W001"]
        assert f"MEMORIES['{missing}']" in messages[0].msg


@pytest.mark.parametrize("app", ["drf_spectacular_sidecar", "drf_spectacular"])
def test_docs_urls_without_their_apps_is_an_error(app):
    with modify_settings(INSTALLED_APPS={"remove": [app]}):
        assert check_ids() == {"memories.E008"}
        (message,) = [m for m in run_checks(databases=[]) if m.id == "memories.E008"]
    assert f"INSTALLED_APPS lacks '{app}'" in message.msg
    assert f"Add '{app}' to INSTALLED_APPS" in str(message.hint)


def test_missing_docs_apps_are_no_error_where_docs_urls_is_not_included():
    without_docs = {"remove": ["drf_spectacular_sidecar"]}
    with (
        modify_settings(INSTALLED_APPS=without_docs),
        override_settings(ROOT_URLCONF="memories.urls"),
    ):
        assert check_ids() == set()


def _memories() -> dict:
    return memories_with(DATABASES=dict(memories_settings.DATABASES))


@pytest.mark.parametrize("seconds", [0, -1, "30", True, float("nan"), float("inf")])
def test_statement_timeout_must_be_a_positive_number_or_none(seconds):
    with override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=seconds)):
        assert check_ids() == {"memories.E010"}


@pytest.mark.parametrize("seconds", [None, 30, 0.25])
def test_statement_timeout_of_seconds_or_none_passes(seconds):
    with override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=seconds)):
        assert check_ids() == set()


@pytest.mark.parametrize(
    "setting",
    [{"ADMIN_LARGE_TABLE_ROWS": value} for value in [0, -5, "100000", 1.5, True, None]]
    + [{"AGGREGATE_CACHE_SECONDS": value} for value in [-1, "60", True, None, float("nan")]],
)
def test_large_table_settings_must_be_numbers(setting):
    with override_settings(MEMORIES=memories_with(**setting)):
        assert check_ids() == {"memories.E011"}


@pytest.mark.parametrize(
    "setting",
    [
        {"ADMIN_LARGE_TABLE_ROWS": 1},
        {"AGGREGATE_CACHE_SECONDS": 0},
        {"AGGREGATE_CACHE_SECONDS": 2.5},
    ],
)
def test_large_table_settings_of_numbers_pass(setting):
    with override_settings(MEMORIES=memories_with(**setting)):
        assert check_ids() == set()
