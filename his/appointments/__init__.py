"""Appointments (Circular 54 criterion 50): slots, follow-ups, reminders, no-shows."""
