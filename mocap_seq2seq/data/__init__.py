"""Motion capture on disk and in memory: the HDF5 store, the file formats (BVH,
ASF/AMC, Human3.6M, CMU), importers, sequence sources, case-(i) concatenation and
synthetic motion with known answers.

May import :mod:`mocap_seq2seq.motion` and the foundation modules (errors,
atomic, paths, labels); never the model, the segmenters or the reports.
"""
