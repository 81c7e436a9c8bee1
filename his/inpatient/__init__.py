"""Inpatient stay (Circular 54 criteria 39-40): admission, beds, transfers, treatment sheet, discharge."""
