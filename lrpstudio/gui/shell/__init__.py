"""The desktop window around the tabs: main window, menus and actions, docks, settings, launch, self-test."""
