"""The application layer: what the desktop app and the command line both need, without Qt.

Between :mod:`lrpstudio.core` (data, models, LRP, training engine) and the front ends
(:mod:`lrpstudio.gui`, :mod:`lrpstudio.cli`); it never imports Qt or a front end. One
concept per module:

- :mod:`.workspace`: the one workspace rule (where corrections, reviews, datasets and
  runs of a data folder live);
- :mod:`.data_source`: the open data folder, its case rows, loading a case for editing,
  saving a correction, recovery journals, pins;
- :mod:`.editing`: the edit-session vocabulary a view drives;
- :mod:`.datasets`: DATA_OR_DATASET -> slice dataset (prepared into the workspace), and
  what the data holds per split and grade;
- :mod:`.run_info`: what a run folder records (settings, preparation, pins, pictures);
- :mod:`.run_summaries` and :mod:`.run_groups`: run discovery, one row per run, groups
  over seeds;
- :mod:`.training`: the training job (start and resume, which rebuilds the run's
  recorded preparation) with plain-callback events;
- :mod:`.curves`: a run's curves as data;
- :mod:`.slices`: the viewer's slice prepared exactly like the dataset;
- :mod:`.explain`: explain the viewer's slice with a run;
- :mod:`.compare`: the Fig. 5 arrays, a run's Fig. 7 inputs, evaluation of runs;
- :mod:`.similar`: the similar-cases engine;
- :mod:`.options` and :mod:`.pictures`: the training choices and the picture renderers
  the front ends share.
"""
