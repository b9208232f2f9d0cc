"""Leaderboards: ranked from the daily contributions rollup, cached in Redis, truth in SQL."""
