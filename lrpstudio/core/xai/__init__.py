"""lrpstudio.core.xai."""
