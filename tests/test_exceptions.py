"""memories.exceptions: names kept for hosts that import them by their former names."""

import pytest

from memories import exceptions
from memories.exceptions import DeletionUnfinishedError


class RenamedErrorTests:
    def test_erasure_incomplete_error_imports_as_deletion_unfinished_error(self):
        with pytest.warns(DeprecationWarning, match=r"memories\.exceptions\.DeletionUnfinished"):
            from memories.exceptions import ErasureIncompleteError

        assert ErasureIncompleteError is DeletionUnfinishedError

    def test_erasure_incomplete_error_warns_as_an_attribute(self):
        with pytest.warns(DeprecationWarning, match="ErasureIncompleteError is deprecated"):
            error_class = exceptions.ErasureIncompleteError

        assert error_class is DeletionUnfinishedError

    def test_unknown_name_raises_attribute_error(self):
        with pytest.raises(AttributeError, match="NoSuchError"):
            exceptions.NoSuchError  # noqa: B018
