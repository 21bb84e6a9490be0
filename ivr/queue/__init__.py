"""The human side of the hotline: queue records, callbacks, staffed hours."""
