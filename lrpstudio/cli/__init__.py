"""The ``lrpstudio`` command line: one module per sub-command, each calling the core."""
