"benchmarks/gpu_checks.py, the one run a GPU loan gets: every step runs at toy sizes on the CPU and the summary says so."
import subprocess, sys
import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_checks_smoke():
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'gpu_checks.py'), '--smoke'], capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    summary = res.stdout.split('== summary')[1].splitlines()
    for step in ('gpu_train', 'segment_speed', 'data_speed'):
        assert any(l.startswith(step) and ' ok ' in l for l in summary), res.stdout[-2000:]
    assert 'images/s' in res.stdout and 'class_embeddings' in res.stdout


def test_gpu_checks_refuses_without_a_gpu():
    import torch
    if torch.cuda.is_available(): pytest.skip('a GPU is visible: the refusal cannot be seen here')
    res = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'gpu_checks.py')], capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and 'no CUDA GPU visible' in res.stderr
