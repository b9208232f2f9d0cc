"""Behaviour catalogue, emission factors, carbon estimation and activity logging."""
