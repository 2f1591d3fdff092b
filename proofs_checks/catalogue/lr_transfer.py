"""muP's learning-rate transfer across widths (Yang et al. 2022, TP V, arXiv:2203.03466).

Design declared before any number of this check was seen (window, control, widths, seeds):

* headline: the log-log slope in width of the loss-minimizing learning rate under muP with SGD,
  predicted 0 (TP V Sec. 3 and Fig. 1: muP's optimal hyperparameters are width-stable), window
  ``[-LR_TOL, LR_TOL]``; muP with Adam the same (decisive);
* SP (preset ``sp``: a constant learning rate) with SGD and with Adam: the optimum drifts toward
  smaller rates, at most as fast as SP's largest stable rate, which falls as ``1/n`` for SGD
  (TP4, arXiv:2011.14522, Thm 3.3: SP is stable iff ``c >= 1``): window ``SP_WINDOW`` (decisive);
* control: the muP/SGD slope judged against ``+-1/2`` (half SP's ``n^{-1}`` drift, either way).
"""

from __future__ import annotations

LR_TOL = 0.2  # the LR grid's spacing is 2^{1/2}: a slope of 0.2 moves the optimum ~1 grid step
SP_WINDOW = (-1.0 - LR_TOL, -LR_TOL)  # drifts down, at most as 1/n
CONTROL_SHIFT = 0.5
