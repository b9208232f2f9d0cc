"""HTTP routes of points, rewards and redemptions."""

from __future__ import annotations

from flask_smorest import Blueprint

import points.models  # noqa: F401 - registers the tables

blp = Blueprint("points", __name__, url_prefix="/api/v1",
                description="积分、奖品与兑换 (points, rewards and redemptions)")
