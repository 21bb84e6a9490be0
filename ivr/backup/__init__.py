"""Backups of a hotline's state: one archive with every store and data file, restored whole."""
