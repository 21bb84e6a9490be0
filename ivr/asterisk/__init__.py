"""Asterisk: finding or building it, rendering its configuration, running it."""
