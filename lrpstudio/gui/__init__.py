"""lrpstudio's desktop app (PySide6 + pyqtgraph): the only package that imports Qt.

Entry point: :func:`lrpstudio.gui.shell.launch.run_gui` (``lrpstudio gui``). One
sub-package per part of the product: :mod:`.shell` (main window, menus, docks,
settings, launch), :mod:`.viewer` (slice views, overlays, editing), :mod:`.training`,
:mod:`.runs`, :mod:`.similar`, :mod:`.explain`, and :mod:`.common` (workers, tiles).
Views emit signals and hold no reference to the main window. Every product rule
(which workspace, how a slice is prepared, what a run recorded, the training job) is
asked of :mod:`lrpstudio.app`; from the core the GUI takes value types only.
"""
