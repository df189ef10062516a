"""lrpstudio.core.models."""
