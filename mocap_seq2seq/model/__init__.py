"""The network: the decoder cell and seq2seq layers, building and loading, windows
and normalisation, training, AGED and data-parallel distribution.

The only package (with :mod:`mocap_seq2seq.embedding`) that imports Keras. It
may import :mod:`mocap_seq2seq.data` and :mod:`mocap_seq2seq.motion`; it knows
nothing of segmentation, which reaches training only as a callable monitor.
"""
