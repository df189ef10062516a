"""lrpstudio.core.data."""
