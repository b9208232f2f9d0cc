"""Reports: an institution's year by month, institutions side by side, public disclosure.

Read only from the report rollups (`activities.models.ActivityMonthlyRollup` for months
and years, `ActivityRollup` for the days in use, `OrgActivePeople`,
`points.models.OrgDailyPoints`): a report costs the same few statements, over rows bounded
by months and behaviours, whatever the number of activities behind it.
"""
