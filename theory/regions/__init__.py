"""The region engine: exact sets of exponents (scalings) with wanted properties.

* :mod:`~widthlimits.theory.regions.smt_ops` -- the engine's max-plus arithmetic as linear real
  arithmetic (exponents as SMT terms);
* :mod:`~widthlimits.theory.regions.properties` -- wanted properties as conditions on exponents
  (one definition for a point and for a region);
* :mod:`~widthlimits.theory.regions.existence` -- "is the set empty? give me a witness", exact,
  without enumerating the box.
"""

from widthlimits.theory.regions.existence import Existence, exists
from widthlimits.theory.regions.properties import PROPERTIES, has_property, parse_want

__all__ = ["PROPERTIES", "Existence", "exists", "has_property", "parse_want"]
