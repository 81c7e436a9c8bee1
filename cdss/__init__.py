"""Clinical decision support: pure functions of the facts it is given (issue 5). Depends on no hospital module."""
