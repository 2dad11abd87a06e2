"""Whose memories a caller reaches: one owner's (a user_id), anyone's (None), or nobody's."""

import enum


class Nobody(enum.Enum):
    """The owner of a request that may reach no memory at all: a regular token asking for
    someone else's. Reads find nothing and deletes delete nothing, exactly as if there were
    nothing to find."""

    NOBODY = "nobody"


NOBODY = Nobody.NOBODY

# A user_id, None for any owner, or NOBODY.
Owner = str | Nobody | None
