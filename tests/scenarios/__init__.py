"""Scenario tables and their checks, shared by the real tier (tests/test_call_*.py, a real
Asterisk) and the fast tier (tests/test_flow_*.py, scripted channels): the same DTMF
strings, the same assertions."""
