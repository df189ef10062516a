"""The Explain dock: a run's heatmap over the viewer's current slice."""
