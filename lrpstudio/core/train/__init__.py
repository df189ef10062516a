"""lrpstudio.core.train."""
