"""``python -m mocap_cli``: the ``mocap`` command, for a clone without the installed script."""

from mocap_cli.app import main

main()
