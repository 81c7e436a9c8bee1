"""Queues (Circular 54 criterion 44, infrastructure 12-13): kiosk tickets, counters, live displays."""
