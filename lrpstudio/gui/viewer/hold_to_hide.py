"""Hold-to-hide: the mask overlay disappears while H is held down in a window."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from lrpstudio.gui.viewer.view_state import ViewState

#: Widgets where H is typed, not held.
_TYPING = (QtWidgets.QLineEdit, QtWidgets.QAbstractSpinBox, QtWidgets.QTextEdit)


class HoldToHide(QtCore.QObject):
    """An application event filter: H pressed hides the overlay, H released shows it again.

    Parameters
    ----------
    state
        Whose overlay style is switched.
    window
        Only keys sent to widgets of this top-level window count.
    """

    def __init__(self, state: ViewState, window: QtWidgets.QWidget) -> None:
        super().__init__(window)
        self.state, self.window = state, window

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        """Consume plain, non-repeated H presses and releases of the window's widgets."""
        kind = event.type()
        if kind in (QtCore.QEvent.Type.KeyPress, QtCore.QEvent.Type.KeyRelease) and \
                isinstance(obj, QtWidgets.QWidget) and obj.window() is self.window and \
                not isinstance(obj, _TYPING) and not isinstance(obj.parent(), _TYPING) and \
                isinstance(event, QtGui.QKeyEvent):
            if event.key() == QtCore.Qt.Key.Key_H and not event.modifiers() and not event.isAutoRepeat():
                self.state.set_style(visible=kind == QtCore.QEvent.Type.KeyRelease)
                return True
        return super().eventFilter(obj, event)
