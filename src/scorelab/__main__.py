"""``python -m scorelab`` runs the command line."""

from scorelab.cli import main

main()
