"""mocap_seq2seq: unsupervised action recognition and segmentation of motion capture.

A recurrent sequence-to-sequence model learns to predict the next poses; the
states of its decoder are an embedding of the motion in which windows of the
same action lie together. Importing this package does not import Keras: the
modules that need it (``model``, ``aged``, ``training``, ``embedding``) import
it themselves, so that the command line starts fast.
"""

__version__ = "0.1.0"
