"""Print, as JSON, the metrics of shipped pretrained models recomputed on this backend.

KERAS_BACKEND=jax python tests/scripts/pretrained_script.py trial-01 actions-all
"""

from __future__ import annotations

import json
import sys

from mocap_seq2seq.pretrained import pretrained_metrics

print(json.dumps({name: pretrained_metrics(name) for name in sys.argv[1:]}))
