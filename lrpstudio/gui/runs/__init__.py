"""The Runs tab: every run in a table (grouped over seeds), overlaid curves, Fig. 5 and saved Fig. 7."""
