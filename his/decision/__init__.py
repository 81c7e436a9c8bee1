"""Decision support in the hospital (issue 5): knowledge versions, local rules, allergies, alerts, screening."""
