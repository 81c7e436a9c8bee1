"""Statistics (Circular 54 criterion 42): daily flow, occupancy, length of stay, diagnoses, revenue."""
