"""Console pages by area; importing this package attaches them to the blueprints."""

from console.routes import (  # noqa: F401
    admin,
    auth,
    campaigns,
    counter,
    dashboard,
    me,
    people,
    region,
    rewards,
)
