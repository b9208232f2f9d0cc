"""Campaigns (publicity weeks) and open-day events with check-ins."""
