"""The Viewer tab: three linked slice views, overlays, the case browser and loader, the editing controller and tools."""
