"""Translation: each response in one language, the active one; the German catalog complete and
compiled."""

import gettext
import json
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import translation

import memories
from memories.exceptions import DeletionUnfinishedError
from memories.wording import in_english
from tests.conftest import mint
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")

LOCALE = Path(memories.__file__).parent / "locale"
CATALOG = LOCALE / "de" / "LC_MESSAGES" / "django.po"
COMPILED = LOCALE / "de" / "LC_MESSAGES" / "django.mo"

# Words that are names, not language (values sent in the requests), or that German shares.
NAMES = {"memory", "topics", "text", "plain", "json", "application", "token", "filter"}


def drf(message: str) -> str:
    """A message of DRF's or simplejwt's own, in the active language (their catalogs)."""
    return translation.gettext(message)


def words(text: str) -> set[str]:
    """The words of text, but identifiers (db_id, base64)."""
    found = {word.lower() for word in re.findall(r"\w{4,}", text)}
    return {word for word in found if word.isalpha() and word.isascii()} - NAMES


def in_both(request, language_code: str = "de") -> tuple[dict, dict]:
    """The response body of `request()` with English, then with `language_code`."""
    english = request().json()
    with override_settings(LANGUAGE_CODE=language_code):
        translated = request().json()
    return english, translated


def assert_one_language(english: dict, german: dict, expected_german: str) -> None:
    assert german == {"detail": expected_german, "error_code": english["error_code"]}
    # Not one word of the English text is left in the German one.
    assert not words(english["detail"]) & words(german["detail"]), german["detail"]


class APITests:
    def test_a_404_is_german(self, as_user):
        client = as_user("alice")

        english, german = in_both(lambda: client.get("/memories/missing"))

        assert english == {"detail": "Memory not found", "error_code": "NOT_FOUND"}
        assert_one_language(english, german, "Erinnerung nicht gefunden")

    def test_a_422_of_our_serializer_is_german(self, as_user):
        client = as_user("alice")

        english, german = in_both(lambda: client.post("/memories", {"memory": 5}, format="json"))

        assert english == {"detail": "memory: Must be a string.", "error_code": "VALIDATION_ERROR"}
        assert_one_language(english, german, "memory: Muss eine Zeichenkette sein.")

    def test_a_422_of_drf_and_ours_in_one_detail_is_german(self, as_user):
        """DRF's message and our field prefix, in one detail: one language."""
        client = as_user("alice")

        english, german = in_both(lambda: client.post("/memories", {}, format="json"))

        assert english == {
            "detail": "memory: This field is required.",
            "error_code": "VALIDATION_ERROR",
        }
        with translation.override("de"):
            required = drf("This field is required.")
        assert required != "This field is required."
        assert_one_language(english, german, f"memory: {required}")

    def test_a_422_listing_the_filters_is_german(self, as_user):
        client = as_user("root", admin=True)

        english, german = in_both(
            lambda: client.post("/memory_deletions", {"dry_run": True}, format="json")
        )

        fields = "user_id, agent_id, team_id, topics, updated_before, created_before"
        assert english["detail"] == f"A deletion by filter needs at least one of: {fields}"
        assert_one_language(
            english, german, f"Eine Löschung per Filter braucht mindestens eines von: {fields}"
        )

    def test_a_400_is_german(self, as_user):
        client = as_user("alice")

        english, german = in_both(lambda: client.get("/memories?db_id=default&db_id=default"))

        assert english == {
            "detail": "The db_id query parameter may be given only once",
            "error_code": "BAD_REQUEST",
        }
        assert_one_language(
            english, german, "Der Abfrageparameter db_id darf nur einmal angegeben werden"
        )

    def test_a_json_parse_error_is_german_to_the_position(self, as_user):
        client = as_user("alice")

        english, german = in_both(
            lambda: client.generic("POST", "/memories", "{", "application/json")
        )

        assert english == {
            "detail": "JSON parse error - Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
            "error_code": "BAD_REQUEST",
        }
        assert_one_language(
            english,
            german,
            "JSON-Syntaxfehler - Eigenschaftsname in doppelten Anführungszeichen erwartet: "
            "Zeile 1, Spalte 2 (Zeichen 1)",
        )

    def test_an_undecodable_body_is_german(self, as_user):
        client = as_user("alice")

        english, german = in_both(
            lambda: client.generic("POST", "/memories", b'{"memory": "\xff"}', "application/json")
        )

        assert english["detail"] == (
            "JSON parse error - 'utf-8' codec can't decode byte 0xff in position 12: "
            "invalid start byte"
        )
        assert german["detail"] == (
            "JSON-Syntaxfehler - Der Codec 'utf-8' kann das Byte 0xff an Position 12 nicht "
            "dekodieren: ungültiges Startbyte"
        )

    def test_a_401_without_token_is_german(self, api):
        english, german = in_both(lambda: api.get("/memories"))

        assert english == {
            "detail": "Authentication credentials were not provided.",
            "error_code": "UNAUTHENTICATED",
        }
        with translation.override("de"):
            expected = drf("Authentication credentials were not provided.")
        assert_one_language(english, german, expected)

    def test_a_401_of_our_token_check_is_german(self, api):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {mint(None)}")

        english, german = in_both(lambda: api.get("/memories"))

        assert english == {
            "detail": "Token contained no recognizable user identification",
            "error_code": "UNAUTHENTICATED",
        }
        assert_one_language(english, german, "Das Token enthielt keine erkennbare Benutzerkennung")

    def test_a_415_of_drf_is_german(self, as_user):
        client = as_user("alice")

        english, german = in_both(
            lambda: client.generic("POST", "/memories", "memory=x", "text/plain")
        )

        assert english == {
            "detail": 'Unsupported media type "text/plain" in request.',
            "error_code": "UNSUPPORTED_MEDIA_TYPE",
        }
        with translation.override("de"):
            expected = drf('Unsupported media type "{media_type}" in request.').format(
                media_type="text/plain"
            )
        assert_one_language(english, german, expected)

    def test_a_415_of_ours_is_german(self, as_user):
        client = as_user("alice")
        body = json.dumps({"memory": "x"})

        english, german = in_both(
            lambda: client.generic("POST", "/memories", body, "application/json; charset=base64")
        )

        assert english["detail"] == (
            'Unsupported charset "base64": a JSON body must be in a text encoding, such as utf-8'
        )
        assert_one_language(
            english,
            german,
            "Nicht unterstützter Zeichensatz „base64“: Ein JSON-Körper muss in einer "
            "Textkodierung wie utf-8 vorliegen",
        )

    def test_an_unfinished_deletion_reads_german_to_the_caller_english_in_the_log(self):
        error = DeletionUnfinishedError(
            deleted={("default", "agno_memories"): 19},
            remaining={("default", "agno_memories"): 2, ("pg", "agno_memories"): None},
        )

        with override_settings(LANGUAGE_CODE="de"):
            told, logged = str(error), in_english(error)

        assert told == (
            "Nicht abgeschlossen nach dem Löschen von 19 Erinnerungen (default/agno_memories: "
            "2 übrig; pg/agno_memories: Datenbank fehlgeschlagen)"
        )
        assert logged == (
            "Unfinished after deleting 19 memories (default/agno_memories: 2 left; "
            "pg/agno_memories: database failed)"
        )

    def test_english_stays_english_when_english_is_active(self, as_user):
        with override_settings(LANGUAGE_CODE="de"), translation.override("en"):
            response = as_user("alice").get("/memories/missing")

        assert response.json() == {"detail": "Memory not found", "error_code": "NOT_FOUND"}


class AdminTests:
    def test_the_memory_list_speaks_german(self, staff):
        memory_create(memory_id="a1", user_id="alice")

        with override_settings(LANGUAGE_CODE="de"):
            page = staff.get("/admin/memories/memory/").content.decode()

        assert 'Erinnerungen in <span id="current-target">default / agno_memories</span>' in page
        assert "Aufbewahrungsregeln" in page
        assert "Alle löschen, die den Filtern entsprechen" in page
        assert "Ausgewählte Erinnerungen endgültig löschen" in page
        assert "Datenbank und Tabelle" in page
        assert "Retention rules" not in page
        assert "Delete selected memories permanently" not in page

    def test_the_confirmation_speaks_german(self, staff):
        memory_create(memory_id="a1", user_id="alice")

        with override_settings(LANGUAGE_CODE="de"):
            page = staff.get("/admin/memories/memory/a1/delete/").content.decode()

        assert "Diese Löschung ist endgültig und kann nicht rückgängig gemacht werden." in page
        assert "wird diese Erinnerung gelöscht:" in page
        assert "Ja, endgültig löschen" in page
        assert "cannot be undone" not in page

    def test_the_list_stays_english_in_english(self, staff):
        page = staff.get("/admin/memories/memory/").content.decode()

        assert 'Memories in <span id="current-target">default / agno_memories</span>' in page
        assert "Retention rules" in page


class CommandTests:
    def test_a_command_error_is_german(self):
        with override_settings(LANGUAGE_CODE="de"), pytest.raises(CommandError) as error:
            call_command("delete_memories")

        assert str(error.value).startswith("Geben Sie mindestens einen Filter an (--user-id,")

    def test_a_command_report_is_german(self):
        memory_create(memory_id="a1", user_id="alice")
        out = StringIO()

        with override_settings(LANGUAGE_CODE="de"):
            call_command("erase_user_memories", "alice", "--dry-run", stdout=out)

        assert out.getvalue().startswith("Zu löschende Erinnerungen von 'alice':\n")
        assert "Probelauf: Es wurde nichts gelöscht.\n" in out.getvalue()


def catalog_entries() -> list[str]:
    """The entries of the German catalog, header first."""
    return CATALOG.read_text(encoding="utf-8").strip().split("\n\n")


class CatalogTests:
    def test_every_message_is_translated_and_none_is_fuzzy(self):
        entries = catalog_entries()[1:]

        assert len(entries) > 100
        for entry in entries:
            assert "#, fuzzy" not in entry, entry
            translations = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
            assert translations, entry
            for text in translations:
                assert "".join(re.findall(r'"(.*)"', text)), entry

    def test_the_header_is_not_fuzzy(self):
        assert "#, fuzzy" not in catalog_entries()[0]

    @pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is needed")
    def test_the_compiled_catalog_is_the_catalog(self, tmp_path):
        fresh = tmp_path / "django.mo"
        subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(CATALOG)], check=True)

        with open(fresh, "rb") as compiled, open(COMPILED, "rb") as shipped:
            expected = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
            actual = gettext.GNUTranslations(shipped)._catalog  # type: ignore[attr-defined]
        assert actual == expected
