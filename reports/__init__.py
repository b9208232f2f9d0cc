"""Reports: an institution's year by month, institutions side by side, public disclosure.

Read only from the report rollups (`activities.models.ActivityRollup`,
`MonthlyParticipant`, `points.models.OrgDailyPoints`): a report costs the same few
grouped statements whatever the number of activities behind it.
"""
