"""The audit trail in the admin (memories/admin/audit.py): readable by staff, never added
to, changed or deleted from there."""

import pytest

from memories.models import MemoryDeletion, MemoryExport
from tests.admin.conftest import CHANGELIST

pytestmark = pytest.mark.django_db(databases="__all__")


def test_audit_admin_is_read_only_and_searchable(staff, twins):
    staff.post(f"{CHANGELIST}twin/delete/", {"confirmed": "yes"})
    record = MemoryDeletion.objects.get()

    listing = staff.get("/admin/memories/memorydeletion/", {"q": "twin"})
    filtered = staff.get("/admin/memories/memorydeletion/", {"channel__exact": "admin"})
    add = staff.get("/admin/memories/memorydeletion/add/")
    delete = staff.post(f"/admin/memories/memorydeletion/{record.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200 and "twin" in listing.text
    assert filtered.status_code == 200 and "operator" in filtered.text
    assert add.status_code == 403
    assert delete.status_code == 403
    assert MemoryDeletion.objects.count() == 1


def test_the_export_trail_is_read_only_and_names_an_export_of_everyone(staff):
    record = MemoryExport.objects.create(
        actor="operator", channel="api", db_id="lite", table_name="agno_memories", count=3
    )
    url = "/admin/memories/memoryexport/"

    listing = staff.get(url)
    change = staff.post(f"{url}{record.pk}/change/", {"count": "0"})
    delete = staff.post(f"{url}{record.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert '<span class="memories-line" title="everyone">everyone</span>' in listing.text
    assert staff.get(f"{url}add/").status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert list(MemoryExport.objects.values_list("count", flat=True)) == [3]
