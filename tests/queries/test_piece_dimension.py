"""A piece's dimension counts its implicit equalities too when it is given as the cover found
it (a time limit stopped the writing): ``c1 <= -3`` and ``c1 >= -3`` make a line."""

from fractions import Fraction as F

from widthlimits.theory.classify import classify
from widthlimits.theory.presets import preset
from widthlimits.theory.regions.query import RegionPiece


def _piece(cons, simplified):
    return RegionPiece(tuple(cons), (F(-3), F(0)), ("c1", "c2"), classify(preset("mup", 1, "sgd")),
                       simplified=simplified)


def test_opposite_inequalities_are_an_equality():
    cons = [((F(1), F(0), F(3)), "<="), ((F(-1), F(0), F(-3)), "<="), ((F(0), F(1), F(-1)), "<=")]
    assert _piece(cons, simplified=False).dimension == 1
    # a simplified piece has its equalities explicit: its count is taken as written
    assert _piece(cons, simplified=True).dimension == 2
    loose = [((F(1), F(0), F(2)), "<="), ((F(-1), F(0), F(-4)), "<=")]
    assert _piece(loose, simplified=False).dimension == 2
    explicit = [((F(1), F(0), F(3)), "=="), ((F(0), F(1), F(0)), "==")]
    assert _piece(explicit, simplified=True).dimension == 0
