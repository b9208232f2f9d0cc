"""The institution energy and carbon ledger (API.md, "Institution energy and carbon ledger")."""
