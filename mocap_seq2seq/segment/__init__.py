"""From decoder states (or any frame features) to segments and scores.

Segmenters are scikit-learn estimators, metrics are plain functions of label
arrays, evaluation joins them; results reads and writes a clustering's files.
Plain arrays in and out: this package never imports Keras or the model, so it
is tested and benchmarked without either.
"""
