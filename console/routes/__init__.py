"""Console pages by area; importing this package attaches them (and the hooks) to the
blueprints, once per process."""

from console.blueprint import bp, public_bp
from console.routes import (  # noqa: F401
    admin,
    auth,
    boards,
    campaigns,
    counter,
    dashboard,
    energy,
    me,
    people,
    region,
    rewards,
)
from console.setup import attach_hooks

attach_hooks((bp, public_bp))
