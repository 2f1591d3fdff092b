"""The bundled digits: the file is the one recorded in its provenance, it reads as scikit-learn's
``load_digits`` does, and ``DataConfig(kind="digits")`` needs nothing beyond the core install."""

import hashlib
import subprocess
import sys
from importlib.resources import files

import numpy as np
import pytest

from widthlimits.numerics.data import DataConfig, load_digits, make_data

SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def test_the_bundled_file_is_the_one_in_its_provenance():
    path = files("widthlimits.numerics").joinpath("datasets/digits.csv.gz")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256
    assert SHA256 in files("widthlimits.numerics").joinpath("datasets/PROVENANCE.md").read_text()


def test_digits_read_as_scikit_learn_reads_them():
    sk = pytest.importorskip("sklearn.datasets")
    X, y = load_digits()
    ref = sk.load_digits()
    assert np.array_equal(X, ref.data) and np.array_equal(y, ref.target)
    assert X.shape == (1797, 64) and set(np.unique(y)) == set(range(10))


def test_digits_need_no_scikit_learn():
    """In a fresh interpreter where importing sklearn fails, the digits data still load."""
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "from widthlimits.numerics.data import DataConfig, make_data\n"
            "X, y = make_data(DataConfig(kind='digits', n_samples=128, d_in=64, target='labels'))\n"
            "print(X.shape, sorted(set(y.tolist())))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(128, 64) [-1.0, 1.0]"


def test_the_loaded_arrays_cannot_be_changed_by_a_caller():
    X, _ = load_digits()
    with pytest.raises(ValueError):
        X[0, 0] = 1.0
    assert make_data(DataConfig(kind="digits", n_samples=4, d_in=64, target="labels"))[0].flags.writeable
