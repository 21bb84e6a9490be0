"""Data corrections: cases a caller files when the hotline's answer is wrong, by unit."""
