"""Complaints (pengaduan): tickets taken by phone or by an agent, escalated in three tiers."""
