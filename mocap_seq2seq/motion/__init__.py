"""Bodies in motion: the joint tree and forward kinematics, rotations, frame features.

Upstream of everything that reads motion; imports nothing of ours but
:mod:`mocap_seq2seq.errors`.
"""
