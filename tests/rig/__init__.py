"""The test rig: a private Asterisk and controller per test session, and ways to call them."""
