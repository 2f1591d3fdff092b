"""Depth as a second scaling variable: residual MLPs whose quantities scale as n^{e_n} L^{e_L}.

Modules: :mod:`.scale` (two-variable exponents and the sums over blocks), :mod:`.model` (the
residual model class), :mod:`.engine` (the power counting and the depth regimes), :mod:`.rules`
(hyperparameter L-exponents solved from the engine, beside the literature), :mod:`.presets`
(``depth-mup``, ``completep``), :mod:`.mlp` (today's width engine run in two variables),
:mod:`.query` (exact sets of alpha and L-exponents with wanted depth regimes), :mod:`.derivation`
(the power counting line by line, text and LaTeX).
"""
