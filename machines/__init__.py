"""Machine clients and regional data sharing: API keys, signed exchange documents, partners."""
