"""HTTP routes of the behaviour catalogue, carbon estimates and activity logging."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("activities", __name__, url_prefix="/api/v1",
                description="低碳行为与碳减排 (behaviours and carbon)")
