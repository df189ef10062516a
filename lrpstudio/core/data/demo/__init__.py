"""Built-in demo data: BraTS-like synthetic cases in any of the four BraTS layouts.

Each case is a skull-stripped brain phantom (folded cortex, grey and white matter,
ventricles, CSF, bias field, Rician noise) with a glioma: HGG-like (necrosis, enhancing
rim on T1ce, large heterogeneous oedema) or LGG-like (homogeneous T2/FLAIR-bright mass,
little enhancement, small oedema), drawn from overlapping distributions. An optional
shortcut (a bright column outside the tumour, present in HGG cases with probability S)
lets a plain classifier cheat, as in the paper this project follows. See
``docs/demo-data.md``.

Main entry points: :class:`DemoConfig`, :func:`generate_demo`, :func:`ensure_demo_data`,
:func:`synthesize_case` (one case in memory) and :func:`render_montage`.
"""

from lrpstudio.core.data.demo.generate import (
    BRATS_SHAPE, DEFAULT_DEMO, DemoConfig, case_grades, ensure_demo_data, generate_demo,
)
from lrpstudio.core.data.demo.montage import render_montage
from lrpstudio.core.data.demo.synth import DemoCase, synthesize_case
from lrpstudio.core.data.demo.writer import (
    DEMO_LAYOUTS, MARKER_FILE, brats_affine, demo_case_id, is_demo_set, read_marker, remove_demo_set,
)

__all__ = [
    "BRATS_SHAPE", "DEFAULT_DEMO", "DEMO_LAYOUTS", "MARKER_FILE", "DemoCase", "DemoConfig",
    "brats_affine", "case_grades", "demo_case_id", "ensure_demo_data", "generate_demo",
    "is_demo_set", "read_marker", "remove_demo_set", "render_montage", "synthesize_case",
]
