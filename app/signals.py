"""Named signals: the seam through which a higher package reacts to a core event."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the SQLAlchemy session as sender and `user_id`, inside the transaction that
# deactivates the person: whoever keeps sign-ins for them ends them in the same commit.
user_deactivated = _signals.signal("user-deactivated")
# Sent the same way when every session of a person ends (a password change, a logout of every
# session): other sign-ins (the console's) end with them.
sessions_ended = _signals.signal("sessions-ended")
