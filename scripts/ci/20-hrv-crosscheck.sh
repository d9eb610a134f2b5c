#!/usr/bin/env bash
# Cross-checks mobile-core's RMSSD and SDNN (wearables::hrv) against pyHRV's
# own functions on pyHRV's own sample NN-interval series (shipped in its
# wheel; installed by scripts/install/20-pyhrv.sh).
# Tolerance: relative 1e-9 (both are double precision sums of the same terms;
# the only differences are summation order).
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet -p mobile-core --example hrv_time_domain
export HRV_BIN="$PWD/target/debug/examples/hrv_time_domain"
export MPLBACKEND=Agg

python3 - <<'PY'
import json, math, os, subprocess, sys, tempfile

import numpy as np
import pyhrv
import pyhrv.time_domain as td

files = os.path.join(os.path.dirname(pyhrv.__file__), "files")
names = ["SampleNNISeriesShort.npy", "SampleNNISeriesLong.npy"]
failed = False
for name in names:
    nn = np.load(os.path.join(files, name))
    assert len(nn) > 100, f"{name}: unexpectedly short ({len(nn)})"
    want = {"rmssd_ms": float(td.rmssd(nn)["rmssd"]), "sdnn_ms": float(td.sdnn(nn)["sdnn"])}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(str(float(x)) for x in nn))
        path = f.name
    out = subprocess.run([os.environ["HRV_BIN"], path], check=True, capture_output=True, text=True)
    os.unlink(path)
    got = json.loads(out.stdout)
    assert got["n"] == len(nn), (got["n"], len(nn))
    for key in want:
        ok = math.isclose(got[key], want[key], rel_tol=1e-9, abs_tol=0.0)
        print(f"{name} {key}: mobile-core {got[key]:.12f} pyhrv {want[key]:.12f} {'ok' if ok else 'MISMATCH'}")
        failed |= not ok
sys.exit(1 if failed else 0)
PY
