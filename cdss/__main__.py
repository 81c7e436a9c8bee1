"""`python -m cdss check [FILE|-]`."""

from cdss.command import main

main(prog_name="python -m cdss")
