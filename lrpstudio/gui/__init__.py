"""lrpstudio's desktop app (PySide6 + pyqtgraph): the only package that imports Qt.

Entry point: :func:`lrpstudio.gui.launch.run_gui` (``lrpstudio gui``). The window
(:mod:`.main_window`) shows the case browser, three linked slice views and the tool
panel; editing logic lives in :mod:`lrpstudio.core.editing` and data access in
:mod:`lrpstudio.core.data`, reached through :mod:`.core_bridge`.
"""
