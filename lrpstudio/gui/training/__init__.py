"""The Training tab: the options and recipe forms, the worker thread, live curves, Fig. 7 and the run status."""
