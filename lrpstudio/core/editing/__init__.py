"""lrpstudio.core.editing."""
