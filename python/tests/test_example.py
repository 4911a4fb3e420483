"""The README's stack-ranking example runs and ranks all 12 deployments."""

import re
import subprocess
import sys


def test_stack_rank_example(root):
    p = subprocess.run([sys.executable, str(root / "python" / "examples" / "stack_rank.py")],
                       capture_output=True, text=True, check=True)
    lines = p.stdout.strip().splitlines()
    ranks = [l for l in lines if re.match(r"\s*\d+\. P\d D\d", l)]
    assert len(ranks) == 12
    goodput = [float(re.search(r"goodput/GPU ([\d.]+)", l).group(1)) for l in ranks]
    assert goodput == sorted(goodput, reverse=True) and goodput[0] > goodput[-1]
    assert lines[-1].startswith("12 deployments simulated in ")
