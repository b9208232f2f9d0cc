"""Start-up wiring of the campaigns domain."""

from __future__ import annotations

from flask import Flask


def init_campaigns(app: Flask) -> None:
    """Plug the campaign multiplier into activity logging (activities never import us)."""
    from activities.campaign_hook import set_provider
    from campaigns.effects import campaign_multiplier

    set_provider(campaign_multiplier)
