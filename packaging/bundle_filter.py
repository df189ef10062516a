"""What the lrpstudio bundle leaves out. Imported by ``lrpstudio.spec`` (and the tests).

Two lists: Python modules PyInstaller must not analyse at all (the app never imports
them), and a filter on collected files (headers, static libraries, test suites, Qt parts
of excluded modules).
"""

from __future__ import annotations

# Python packages the app never imports at run time (test tools, other Qt bindings,
# notebooks, TensorBoard, triton: the GPU kernel compiler behind torch.compile, ~700 MB,
# which lrpstudio never calls; scikit-learn: used by the tests only), and Qt modules neither lrpstudio nor the parts of pyqtgraph it
# uses load. Kept: QtCore/Gui/Widgets, QtSvg (icons), QtOpenGL(Widgets) and
# QtPrintSupport (pyqtgraph imports them), QtNetwork and QtDBus (linked by Qt's platform
# plugins).
EXCLUDED_MODULES: tuple[str, ...] = (
    "tkinter", "_tkinter", "IPython", "jupyter", "notebook", "pytest", "_pytest", "pytestqt",
    "xdist", "pytest_timeout", "PyQt5", "PyQt6", "PySide2", "tensorboard",
    "torch.utils.tensorboard", "triton", "sklearn", "pyqtgraph.examples", "pyqtgraph.opengl",
    "OpenGL",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtQuickTest", "PySide6.QtQuick3D", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PySide6.QtSql", "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtUiTools",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebEngineQuick",
    "PySide6.QtMultimedia", "PySide6.QtCharts", "PySide6.QtDataVisualization",
    "PySide6.Qt3DCore", "PySide6.QtBluetooth", "PySide6.QtPositioning", "PySide6.QtSensors",
    "PySide6.QtTest", "PySide6.QtConcurrent", "PySide6.QtXml",
)

# Files of collected packages the app never reads: C/C++ headers, static and import
# libraries, CMake files, type stubs, test suites, Qt translations and QML.
DROPPED_PARTS: tuple[str, ...] = ("/include/", "/tests/", "/share/cmake/", "/Qt/qml/",
                                  "/Qt/translations/", "/Qt/plugins/qmltooling/")
DROPPED_SUFFIXES: tuple[str, ...] = (".h", ".hpp", ".cuh", ".a", ".lib", ".cmake", ".pyi", ".cpp")
# Qt libraries of the excluded modules (they arrive only through plugins that need them).
DROPPED_QT_LIBS: tuple[str, ...] = ("libQt6Quick", "libQt6Qml", "libQt6Pdf", "libQt6VirtualKeyboard",
                                    "libQt6Designer", "libQt6Sql", "libQt6Help")
# Qt plugins that need a dropped Qt library (qpdf: an image format reading PDFs via QtPdf).
DROPPED_PLUGINS: tuple[str, ...] = ("libqpdf.so", "qpdf.dll", "libqpdf.dylib")


def keep(dest: str) -> bool:
    """Whether a collected file belongs in the bundle.

    Parameters
    ----------
    dest
        The file's destination path inside the bundle (``torch/lib/libtorch_cpu.so``).
    """
    path = "/" + dest.replace("\\", "/")
    name = path.rsplit("/", 1)[-1]
    if any(part in path for part in DROPPED_PARTS) or path.endswith(DROPPED_SUFFIXES):
        return False
    return not (name.startswith(DROPPED_QT_LIBS) or name in DROPPED_PLUGINS)
