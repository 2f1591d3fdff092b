"""Training data: synthetic Gaussian / sphere inputs with teacher, sign or constant targets,
and the 8x8 handwritten ``digits`` bundled with the package (:func:`load_digits`; nothing is
downloaded).

The data are fixed by ``DataConfig.seed`` alone: they do not depend on width or weight seed, so
every width and seed of a sweep trains on the same examples.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from widthlimits.numerics.validation import check_choice, check_float, check_int

DATA_KINDS: tuple[str, ...] = ("gaussian", "sphere", "digits")
TARGET_KINDS: tuple[str, ...] = ("teacher", "sign", "constant", "labels")
_TEACHER_WIDTH = 64


@dataclass(frozen=True)
class DataConfig:
    """Which data set to train on.

    Attributes
    ----------
    kind : {"gaussian", "sphere", "digits"}
        ``gaussian``: i.i.d. :math:`\\mathcal N(0, 1)` inputs; ``sphere``: inputs uniform on the
        sphere of radius :math:`\\sqrt{d_{in}}` (coordinates of size 1); ``digits``: the 8x8
        handwritten digits bundled with the package (``d_in = 64``), features standardized and
        rows scaled to norm :math:`\\sqrt{64}`.
    n_samples : int
        Number of examples (also the measurement batch).
    d_in : int
        Input dimension (fixed, width independent).  Must be 64 for ``digits``.
    target : {"teacher", "sign", "constant", "labels"}
        ``teacher``: output of a fixed random tanh network (width 64), scaled to unit RMS;
        ``sign``: its sign (:math:`\\pm 1`); ``constant``: ``target_value`` for every example;
        ``labels``: digits only, :math:`+1` for digits 5-9 and :math:`-1` for 0-4.
    target_value : float
        Value used by ``target="constant"``.
    seed : int
        Data seed (independent of the weight seeds).
    """

    kind: str = "sphere"
    n_samples: int = 64
    d_in: int = 32
    target: str = "teacher"
    target_value: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", check_choice(self.kind, "data.kind", DATA_KINDS))
        object.__setattr__(self, "target", check_choice(self.target, "data.target", TARGET_KINDS))
        check_int(self.n_samples, "data.n_samples", minimum=1)
        check_int(self.d_in, "data.d_in", minimum=1)
        check_int(self.seed, "data.seed", minimum=0)
        object.__setattr__(self, "target_value", check_float(self.target_value,
                                                             "data.target_value"))
        if self.kind == "digits":
            if self.d_in != 64:
                raise ValueError(f"`data.d_in` must be 64 for the digits data set, got {self.d_in}")
            if self.n_samples > 1797:
                raise ValueError(
                    f"`data.n_samples` = {self.n_samples}: digits has only 1797 examples"
                )
        elif self.target == "labels":
            raise ValueError("`data.target` = 'labels' needs `data.kind` = 'digits'")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    import gzip
    from importlib.resources import files

    with gzip.open(str(files("widthlimits.numerics").joinpath("datasets/digits.csv.gz")), "rt") as fh:
        table = np.loadtxt(fh, delimiter=",")
    raw, target = table[:, :-1], table[:, -1].astype(np.int64)
    raw.setflags(write=False)
    target.setflags(write=False)
    return raw, target


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits (1,797 images, 64 pixel intensities 0-16, digit 0-9), bundled
    with the package (``numerics/datasets/digits.csv.gz``, the file scikit-learn ships as
    ``load_digits``; provenance in ``numerics/datasets/PROVENANCE.md``).  Returns read-only
    ``(pixels float64 (1797, 64), digits int64 (1797,))`` in the file's order.

    >>> X, y = load_digits()
    >>> X.shape, y[:3].tolist()
    ((1797, 64), [0, 1, 2])
    """
    return _digits()


def make_data(config: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``X`` (``n_samples x d_in``) and targets ``y`` (``n_samples``), float64.

    Examples
    --------
    >>> X, y = make_data(DataConfig(kind="sphere", n_samples=4, d_in=3, seed=1))
    >>> X.shape, y.shape, bool(np.allclose((X ** 2).sum(1), 3))
    ((4, 3), (4,), True)
    """
    if not isinstance(config, DataConfig):
        raise TypeError(f"`data` must be a DataConfig, got {config!r}")
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x5EED_DA7A]))
    N, d = config.n_samples, config.d_in
    if config.kind == "digits":
        raw, target = load_digits()
        idx = rng.permutation(raw.shape[0])[:N]
        mu, sd = raw.mean(0), raw.std(0)
        Z = np.where(sd > 0, (raw - mu) / np.where(sd > 0, sd, 1.0), 0.0)[idx]
        X = Z / np.linalg.norm(Z, axis=1, keepdims=True) * np.sqrt(d)
        labels = np.where(target[idx] >= 5, 1.0, -1.0)
    else:
        X = rng.standard_normal((N, d))
        if config.kind == "sphere":
            X = X / np.linalg.norm(X, axis=1, keepdims=True) * np.sqrt(d)
        labels = None
    if config.target == "labels":
        y = labels
    elif config.target == "constant":
        y = np.full(N, config.target_value)
    else:
        trng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x7EAC_4E12]))
        W1 = trng.standard_normal((_TEACHER_WIDTH, d)) / np.sqrt(d)
        w2 = trng.standard_normal(_TEACHER_WIDTH) / np.sqrt(_TEACHER_WIDTH)
        y = np.tanh(X @ W1.T) @ w2
        y = y / max(np.sqrt(np.mean(y**2)), 1e-300)
        if config.target == "sign":
            y = np.where(y >= 0, 1.0, -1.0)
    return np.ascontiguousarray(X), np.ascontiguousarray(y, dtype=np.float64)
