"""The Review tab, and the relevance layer's wiring into the main window."""
