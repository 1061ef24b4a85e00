"""The `mocap` command line (installed as the package ``mocap_cli``)."""
