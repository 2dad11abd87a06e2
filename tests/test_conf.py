"""memories.conf: MEMORIES read over its defaults, lazily, and again when it changes."""

import pytest
from django.test import override_settings

from memories.conf import DEFAULTS, MemoriesSettings, memories_settings
from tests.conftest import memories_with


class MemoriesSettingsTests:
    @override_settings(MEMORIES={})
    def test_every_key_has_its_default_when_the_host_sets_none(self):
        fresh = MemoriesSettings()

        assert {name: getattr(fresh, name) for name in DEFAULTS} == DEFAULTS

    def test_missing_memories_setting_reads_the_defaults(self, settings):
        del settings.MEMORIES

        assert memories_settings.DEFAULT_TABLE == "agno_memories"
        assert memories_settings.MAX_BODY_SIZE == 2 * 1024 * 1024

    def test_host_value_overrides_the_default(self):
        with override_settings(MEMORIES=memories_with(DEFAULT_TABLE="host_memories")):
            assert memories_settings.DEFAULT_TABLE == "host_memories"

    def test_keys_the_host_leaves_out_keep_their_defaults(self):
        with override_settings(MEMORIES={"DEFAULT_TABLE": "host_memories"}):
            assert memories_settings.EXPORT_MAX_SECONDS == 900
            assert memories_settings.JWT_ALGORITHM == "HS256"

    def test_value_is_read_again_when_the_override_ends(self):
        before = memories_settings.DEFAULT_TABLE
        with override_settings(MEMORIES=memories_with(DEFAULT_TABLE="host_memories")):
            assert memories_settings.DEFAULT_TABLE == "host_memories"

        assert before == memories_settings.DEFAULT_TABLE

    def test_value_is_cached_until_reloaded(self, settings):
        fresh = MemoriesSettings()
        settings.MEMORIES = memories_with(DEFAULT_TABLE="first_memories")
        assert fresh.DEFAULT_TABLE == "first_memories"

        settings.MEMORIES = memories_with(DEFAULT_TABLE="second_memories")
        assert fresh.DEFAULT_TABLE == "first_memories"

        fresh.reload()
        assert fresh.DEFAULT_TABLE == "second_memories"

    def test_other_settings_leave_the_cache_alone(self):
        before = memories_settings.DEFAULT_TABLE
        with override_settings(USE_TZ=True):
            assert memories_settings.__dict__.get("DEFAULT_TABLE") == before

    def test_unknown_key_raises_attribute_error(self):
        with pytest.raises(AttributeError, match="Invalid MEMORIES setting: 'NO_SUCH_KEY'"):
            memories_settings.NO_SUCH_KEY  # noqa: B018
