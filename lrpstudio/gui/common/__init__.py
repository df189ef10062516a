"""Qt helpers every tab uses: worker threads and the garbage-collection guard, picture tiles, the run box."""
