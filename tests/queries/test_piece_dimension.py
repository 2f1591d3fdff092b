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


def test_the_json_of_a_piece_as_found_leaves_its_dimension_to_the_api():
    # past a time limit the command prints every piece at once: the LPs of their dimensions
    # (one per inequality) doubled a 15 s limit, so the JSON gives null there and the exact
    # value stays a property of the piece
    cons = [((F(1), F(0), F(3)), "<="), ((F(-1), F(0), F(-3)), "<="), ((F(0), F(1), F(-1)), "<=")]
    assert _piece(cons, simplified=False).to_json()["dimension"] is None
    assert _piece(cons, simplified=True).to_json()["dimension"] == 2


def test_a_label_names_every_field_that_keeps_pieces_apart():
    # two pieces with one label have one verdict key: the maximal-update layers, an unstable
    # initialization and a degenerate one are written out (600 random points, depth 1-3)
    import random

    from widthlimits.theory.exponents import INF
    from widthlimits.theory.parametrization import Parametrization
    from widthlimits.theory.regions.cell import verdict_key, verdict_label

    rng = random.Random(12)

    def q():
        return F(rng.randint(-4, 4), 2)

    seen: dict[str, tuple] = {}
    for _ in range(600):
        L = rng.randint(1, 3)
        p = Parametrization(tuple(q() for _ in range(L + 1)), tuple(q() for _ in range(L + 1)),
                            tuple(q() if rng.random() < 0.8 else INF for _ in range(L + 1)))
        c = classify(p, rng.choice(["sgd", "adam"]), rng.choice(["tanh", "relu"]))
        assert seen.setdefault(verdict_label(c), verdict_key(c)) == verdict_key(c)
    assert len(seen) >= 10
    assert verdict_label(classify(Parametrization((0, 0), (-1, 0), (0, 0)))).endswith("at init")
    assert "MU layers 1-3" in verdict_label(classify(preset("mup", 2, "sgd")))
