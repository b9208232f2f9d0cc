"""Points: the append-only ledger, rewards and redemptions."""
