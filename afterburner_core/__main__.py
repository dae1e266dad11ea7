"""`python -m afterburner_core` = the `afterburner` command."""

from afterburner_core.cli import main

main()
