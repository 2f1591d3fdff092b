"""The bad-input corpus: command lines every one of which must end with exit code 2 and exactly
one line on stderr, no traceback, within 10 s and 1 GB of address space (issue 13).

``{dir}`` is an existing empty folder, ``{file}`` an existing file, ``{store}`` a folder whose
``sweep/runs.sqlite`` is garbage (all made fresh per run by :func:`materialize`).  Cases marked
``PROCESS`` are about the process itself (a file that must not appear, the environment, writes
to ``/dev/full``) and run as their own subprocess; the rest run in-process in a worker that has
the same limits.
"""

from __future__ import annotations

from pathlib import Path

PAYLOAD = "__import__('os').system('touch {dir}/pwned')"

#: (subcommand, argv) -- argv is split on spaces except inside a list
CASES: list[tuple[str, list[str]]] = []


def add(command: str, *variants: list[str]) -> None:
    for v in variants:
        CASES.append((command, v))


PM = ["--preset", "mup"]
EXPL = ["--a", "-1/2,0,1/2", "--b", "1/2,1/2,1/2", "--c", "0,0,0"]

add("(none)", [], ["nosuch"], ["--nosuch"], ["classify-typo", "--depth", "2"])

add("classify",
    ["classify", *PM],  # no depth
    ["classify", *PM, "--depth", "0"],
    ["classify", *PM, "--depth", "-1"],
    ["classify", *PM, "--depth", "1001"],
    ["classify", *PM, "--depth", "99999999999999999999"],
    ["classify", *PM, "--depth", "1" * 5000],
    ["classify", *PM, "--depth", "1e3"],
    ["classify", *PM, "--depth", "two"],
    ["classify", "--preset", "nosuch", "--depth", "2"],
    ["classify", "--preset", "sp:abc", "--depth", "2"],
    ["classify", "--preset", "up:x", "--depth", "2"],
    ["classify", *PM, "--depth", "2", "--a", "0,0,0"],
    ["classify", "--a", "0,0,0", "--b", "0,1/2,1/2", "--depth", "2"],
    ["classify", "--a", PAYLOAD, "--b", "1/2,1/2,1/2", "--c", "0,0", "--depth", "2"],
    ["classify", "--a", "10**10**10,0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "n,0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "0.5,0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "1/0,0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "1" * 13 + ",0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "0,,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "nan,0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "3"],
    ["classify", "--a", "0,0,0", "--b", "oo+1,0,0", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--a", "0,0,0", "--b", "0,1/2,1/2", "--c", "sqrt(2),0,0", "--depth", "2"],
    ["classify", "--a", "0,0,0", "--b", "0,1/2,1/2", "--c", "lambda: 0,0,0", "--depth", "2"],
    ["classify", *EXPL, "--d", "0,0,0", "--optimizer", "sgd", "--depth", "2"],
    ["classify", *EXPL, "--d", "0,0,0", "--optimizer", "momentum", "--depth", "2"],
    ["classify", *PM, "--depth", "2", "--optimizer", "lion"],
    ["classify", *PM, "--depth", "2", "--activation", "swish"],
    ["classify", *PM, "--depth", "2", "--loss", "hinge"],
    ["classify", *PM, "--depth", "2", "--steps", "-1"],
    ["classify", *PM, "--depth", "2", "--steps", "1000000000"],
    ["classify", *PM, "--depth", "2", "--steps", "99999999999999999999"],
    ["classify", *PM, "--depth", "2", "--nosuch"],
    ["classify", "--preset", "ntp:xyz", "--depth", "2"],
    ["classify", "--preset", "depth-mup", "--depth", "2", "--activation", "linear"],
    ["classify", "--preset", "depth-mup", "--depth", "2", "--steps", "3"],
    ["classify", "--preset", "mup:1", "--depth", "2"],
    )

add("tables",
    ["tables", "--depths", "0"],
    ["tables", "--depths", "-1"],
    ["tables", "--depths", "x"],
    ["tables", "--depths", "1,,2"],
    ["tables", "--depths", "99999999999999999999"],
    ["tables", "--depths", "1001"],
    ["tables", "--depths", "1,1"],
    ["tables", "--optimizers", "lion"],
    ["tables", "--optimizers", "sgd,sgd"],
    ["tables", "--optimizers", ""],
    ["tables", "--activation", "swish"],
    )

add("check",
    ["check"],
    ["check", "no-such-check"],
    ["check", "--all", "tp4-abc"],
    ["check", "--all", "-o", "{file}"],
    ["check", "--all", "-o", "/nonexistent/reports"],
    ["check", "--all", "--time-limit", "0"],
    ["check", "--all", "--time-limit", "nan"],
    ["check", "--all", "--time-limit", "-5"],
    ["check", "--all", "--quick", "--full"],
    ["check", "x" * 10000],
    ["check", "--list", "--all"],
    ["check", "--list", "tp4-abc"],
    )

CC = ["coordcheck", *PM, "--depth", "2"]
add("coordcheck",
    [*CC, "--quantities", "nosuch"],
    [*CC, "--quantities", "f,,dx"],
    [*CC, "--seeds", "1"],
    [*CC, "--seeds", "0"],
    [*CC, "--seeds", "99999999999999999999"],
    [*CC, "--steps", "0"],
    [*CC, "--steps", "1000000000"],
    [*CC, "--widths", "1000000,2000000,4000000"],
    ["coordcheck", *PM, "--depth", "3", "--widths", "65536,131072,262144"],
    [*CC, "--widths", "256:128"],
    [*CC, "--widths", "0,1,2"],
    [*CC, "--widths", "64,64,128"],
    [*CC, "--widths", "x"],
    [*CC, "--widths", "64,128"],
    [*CC, "--widths", "1:99999999999999999999"],
    [*CC, "--widths", "1:2:3"],
    [*CC, "--widths", "8 inf 32"],
    [*CC, "--scheduler", "tcp://127.0.0.1:1"],
    [*CC, "--scheduler", "nonsense"],
    [*CC, "--scheduler", "tcp://host:99999"],
    [*CC, "-o", "{file}"],
    [*CC, "-o", "/nonexistent/out"],
    [*CC, "--fresh"],
    [*CC, "-o", "{store}"],
    [*CC, "--time-limit", "0"],
    [*CC, "--time-limit", "inf"],
    ["coordcheck", *EXPL, "--d", "0,0,0", "--depth", "2"],
    ["coordcheck", *PM, "--depth", "99999999999999999999"],
    [*CC, "--optimizer", "lion"],
    )

add("convergence",
    ["convergence", "nosuch"],
    ["convergence", "ntk", "--widths", "64", "128", "256", "-o", "/proc/nope"],
    ["convergence"],
    ["convergence", "ntk", "--widths", "1e12", "2e12", "4e12"],
    ["convergence", "ntk", "--widths", "8", "inf", "32"],
    ["convergence", "ntk", "--widths", "8", "nan", "32"],
    ["convergence", "ntk", "--widths", "8", "16"],
    ["convergence", "ntk", "--widths", "0", "8", "16"],
    ["convergence", "ntk", "--widths", "-8", "16", "32"],
    ["convergence", "ntk", "--widths", "8", "16.5", "32"],
    ["convergence", "ntk", "--widths", "x", "y", "z"],
    ["convergence", "ntk", "--widths", "100000", "200000", "400000"],
    ["convergence", "ntk", "--seeds", "1"],
    ["convergence", "ntk", "--seeds", "2"],  # the spread's bootstrap CI had zero width
    ["convergence", "ntk", "--seeds", "99999999999999999999"],
    ["convergence", "ntk", "--rng", "-1"],
    ["convergence", "ntk", "-o", "{file}"],
    ["convergence", "ntk", "-o", "/nonexistent/out"],
    ["convergence", "mf-two-layer-step", "--widths", "0.1", "2", "0.3"],
    ["convergence", "mf-two-layer-step", "--widths", "0.1", "inf", "0.3"],
    ["convergence", "ntk", "--widths", "128", "64", "32"],
    ["convergence", "mf-two-layer-step", "--widths", "1e-300", "1e-200", "1e-100"],
    )

add("max-lr",
    ["max-lr", *PM, "--depth", "0"],
    ["max-lr", *PM, "--depth", "99999999999999999999"],
    ["max-lr", *PM, "--depth", "2", "--a", "0,0,0"],
    ["max-lr", "--depth", "2"],
    ["max-lr", "--a", "x,0,0", "--b", "0,1/2,1/2", "--depth", "2"],
    ["max-lr", "--a", PAYLOAD, "--b", "0,1/2,1/2", "--depth", "2"],
    ["max-lr", "--a", "0,0", "--b", "0,1/2,1/2", "--depth", "3"],
    ["max-lr", *PM, "--depth", "2", "--alignment", "partial"],
    ["max-lr", *PM, "--depth", "2", "--optimizer", "lion"],
    ["max-lr", "--preset", "nosuch", "--depth", "2"],
    ["max-lr", *PM, "--depth", "2", "--activation", "swish"],
    ["max-lr", *PM, "--depth", "2", "--base-width", "256", "--base-lr", "inf", "--width", "4096"],
    ["max-lr", "--preset", "mfp", "--depth", "2", "--base-width", "1", "--base-lr", "1e308",
     "--width", "4194304", "--json"],
    ["max-lr", *PM, "--depth", "2", "--d", "0,0,0"],
    ["max-lr", *PM, "--depth", "2", "--optimizer", "adam", "--d", "0,oo,0"],
    ["max-lr", *PM, "--depth", "2", "--optimizer", "adam", "--d", PAYLOAD],
    ["max-lr", *PM, "--depth", "2", "--optimizer", "adam", "--d", "0,0,0", "--alignment", "none"],
    )

DV = ["derive", *PM, "--depth", "2"]
add("derive",
    [*DV, "-o", "{dir}"],
    [*DV, "-o", "/nonexistent/dir/x.tex"],
    [*DV, "--pdf", "-o", "{dir}/x.tex"],
    [*DV, "--pdf", "--format", "md"],
    [*DV, "--format", "docx"],
    [*DV, "--steps", "-1"],
    [*DV, "--steps", "99999999999999999999"],
    ["derive", "--symbolic", "nosuch", "--depth", "2"],
    ["derive", "--symbolic", "tp4", *PM, "--depth", "2"],
    ["derive", *PM, "--depth", "0"],
    ["derive", "--a", PAYLOAD, "--b", "0,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["derive", *EXPL, "--d", "1,1,1", "--depth", "2"],
    ["derive", "--symbolic", "tp4", "--depth", "99999999999999999999"],
    [*DV, "-o", ""],
    [*DV, "--format", "md", "-o", "{dir}/x.pdf"],
    )

add("query",
    ["query", "--depth", "2", "--max-free", "-1"],
    ["query", "--depth", "0"],
    ["query", "--depth", "99999999999999999999"],
    ["query", "--depth", "2", "--want", "nosuch"],
    ["query", "--depth", "2", "--init", "mup", "--fix", "c=0,0,0", "--want", "nosuch"],
    ["query", "--depth", "2", "--fix", "d=0,0,0"],
    ["query", "--depth", "2", "--fix", "a=x,0,0"],
    ["query", "--depth", "2", "--fix", "a"],
    ["query", "--depth", "2", "--fix", f"a={PAYLOAD}"],
    ["query", "--depth", "2", "--fix", "c=0,0"],
    ["query", "--depth", "2", "--box", "1"],
    ["query", "--depth", "2", "--box", "x,y"],
    ["query", "--depth", "2", "--box", "0.5,2"],
    ["query", "--depth", "2", "--box", "__import__('os'),2"],
    ["query", "--depth", "2", "--init", "nosuch"],
    ["query", "--depth", "2", "--gauge", "x"],
    ["query", "--depth", "2", "--optimizer", "lion"],
    ["query", "--depth", "2", "--max-free", "x"],
    ["query", "--depth", "1", "--fix", "a=0,0", "--fix", "b=0,1", "--workers", "0"],
    ["query", "--depth", "1", "--fix", "a=0,0", "--fix", "b=0,1", "--workers", "x"],
    ["query", "--depth", "1", "--fix", "a=0,0", "--fix", "b=0,1/2", "--box=-inf,inf"],
    ["query", "--depth", "1", "--fix", "a=0,0", "--fix", "b=0,1/2", "--box=-1,inf", "--exists"],
    ["query", "--depth", "2", "--init", "mup:zzz", "--exists"],
    ["query", "--depth", "2", "--want", ""],
    ["query", "--depth", "2", "--init", "golikov-mf", "--fix", "b=0,1,1"],
    ["query", "--depth", "2", "--fix", "a=0,0,0", "--fix", "a=0,0,1"],
    ["query", "--depth", "1", "--fix", "a=0,0", "--fix", "b=0,1", "--method", "smt"],
    ["query", "--preset", "depth-mup", "--workers", "2"],
    ["query", "--preset", "depth-mup", "--free", ""],
    ["query", "--preset", "depth-mup", "--time-limit", "inf"],
    ["query", "--depth", "9", "--want", "nosuch"],
    ["query", "--depth", "1", "--coords", "golikov", "--fix", "q_v=1"],
    ["query", "--depth", "2", "--coords", "golikov", "--fix", "q_v=1,2"],
    ["query", "--depth", "2", "--coords", "golikov", "--fix", "b=0,1,1"],
    ["query", "--depth", "2", "--coords", "golikov", "--fix", f"q_sigma={PAYLOAD}"],
    ["query", "--depth", "2", "--coords", "golikov", "--fix", "q_sigma=inf"],
    ["query", "--depth", "2", "--coords", "golikov", "--fix", "q_sigma=-1", "--fix", "q_sigma=0"],
    ["query", "--depth", "2", "--coords", "golikov", "--init", "golikov-mf"],
    ["query", "--depth", "2", "--coords", "golikov", "--gauge", "tp4"],
    ["query", "--depth", "2", "--coords", "golikov", "--max-free", "3"],
    ["query", "--depth", "2", "--coords", "nosuch"],
    ["query", "--preset", "depth-mup", "--coords", "golikov"],
    )

PD = ["phase-diagram", "--plane", "tp4"]
add("phase-diagram",
    ["phase-diagram", "-o", "{dir}/x.png"],
    ["phase-diagram", "--plane", "golikov", "--depth", "1", "-o", "/proc/x.png"],
    ["phase-diagram", "--plane", "nosuch", "-o", "{dir}/x.png"],
    [*PD],
    [*PD, "-o", "{dir}/x.jpg"],
    [*PD, "-o", "/nonexistent/x.png"],
    [*PD, "-o", "{dir}/sub.png"],  # sub.png is made a folder by materialize
    [*PD, "--box", "1", "-o", "{dir}/x.png"],
    [*PD, "--box", "a,b", "-o", "{dir}/x.png"],
    [*PD, "--box", "1e9,2", "-o", "{dir}/x.png"],
    [*PD, "--depth", "0", "-o", "{dir}/x.png"],
    [*PD, "--depth", "99999999999999999999", "-o", "{dir}/x.png"],
    [*PD, "--optimizer", "lion", "-o", "{dir}/x.png"],
    [*PD, "--time-limit", "-1", "-o", "{dir}/x.png"],
    [*PD, "--time-limit", "nan", "-o", "{dir}/x.png"],
    [*PD, "--workers", "100", "-o", "{dir}/x.png"],
    [*PD, "--box=-inf,inf", "-o", "{dir}/x.png"],
    )

add("tour",
    ["tour", "-o", "{file}"],
    ["tour", "-o", "/nonexistent/tour"],
    ["tour", "-o", "{dir}/t", "--jobs", "0"],
    ["tour", "-o", "{dir}/t", "--jobs", "99999999999999999999"],
    ["tour", "-o", "{dir}/t", "--time-limit", "0"],
    ["tour", "-o", "{dir}/t", "--time-limit", "inf"],
    ["tour", "--nosuch"],
    )

TL = ["torch-lr", "--preset", "mup", "--depth", "3", "--optimizer", "adam"]
add("torch-lr",
    [*TL, "--width", "4096", "--base-lr", "3e-3"],  # no base width
    [*TL, "--base-width", "0", "--width", "4096", "--base-lr", "3e-3"],
    [*TL, "--base-width", "256", "--width", "-4", "--base-lr", "3e-3"],
    [*TL, "--base-width", "256", "--width", "4096", "--base-lr", "-1"],
    [*TL, "--base-width", "256", "--width", "4096", "--base-lr", "nan"],
    ["torch-lr", "--preset", "nosuch", "--depth", "3", "--base-width", "256", "--width", "4096",
     "--base-lr", "3e-3"],
    ["torch-lr", "--a", "0,x,0", "--b", "0,0,0", "--c", "0,0,0", "--depth", "2", "--base-width", "256",
     "--width", "4096", "--base-lr", "1e-3"],
    [*TL, "--base-width", "256", "--width", "4096", "--base-lr", "3e-3", "--base-std", "nan"],
    [*TL, "--base-width", "256", "--width", "4096", "--base-lr", "3e-3", "--base-multiplier", "-1"],
    [*TL, "--base-width", "256", "--width", "4096", "--base-lr", "3e-3", "--eps", "inf"],
    ["torch-lr", "--preset", "mup", "--depth", "3", "--optimizer", "sgd", "--base-width", "256",
     "--width", "4096", "--base-lr", "3e-3", "--eps", "1e-8"],
    [*TL, "--base-width", "256", "--width", "4096", "--base-lr", "3e-3", "--weight-decay", "-1"],
    )

# the depth query (--preset depth-mup|completep: widthlimits.theory.depth.query)
DQ = ["query", "--preset", "depth-mup", "--optimizer", "adam"]
add("query",
    ["query", "--preset", "nosuch"],
    ["query", "--preset", "completep:2"],
    ["query", "--preset", "completep", "--optimizer", "sgd"],
    [*DQ, "--free", "beta"],
    [*DQ, "--free", "alpha,alpha"],
    [*DQ, "--free", "c_L", "--tie", "lr"],
    [*DQ, "--tie", "nosuch"],
    [*DQ, "--want", "non_lazy,nosuch"],
    [*DQ, "--want", ","],
    [*DQ, "--free", "d_L"],
    [*DQ, "--free", "wd_L"],
    [*DQ, "--box", "2,1"],
    [*DQ, "--box", f"{PAYLOAD},2"],
    [*DQ, "--fix", "a=0,0,0"],
    [*DQ, "--exists"],
    [*DQ, "--depth", "0"],
    ["query", "--free", "alpha", "--depth", "2"],
    ["query", "--tie", "lr", "--depth", "2"],
    ["query"],
    )

# the depth derivation (derive --preset depth-mup|completep: widthlimits.theory.depth.derivation)
DD = ["derive", "--preset", "depth-mup", "--optimizer", "adam"]
add("derive",
    [*DD],  # no depth
    [*DD, "--depth", "0"],
    [*DD, "--depth", "two"],
    [*DD, "--depth", "4", "--a", "0,0,0"],
    [*DD, "--depth", "4", "--symbolic"],
    [*DD, "--depth", "4", "--steps", "3"],
    [*DD, "--depth", "4", "--format", "snippet", "--pdf"],
    [*DD, "--depth", "4", "--title", "x" * 600],
    [*DD, "--depth", "4", "-o", "{dir}"],
    ["derive", "--preset", "completep", "--depth", "4", "--optimizer", "sgd"],
    ["derive", "--preset", "completep:3", "--depth", "4", "--optimizer", "adam"],
    ["derive", "--preset", "depth-mup:1", "--depth", "4", "--optimizer", "adam"],
    )

# found by a new-user audit (2026-12-07): each was a traceback, an exit 0 or a late failure
add("classify",
    ["classify", "--a", "\u0661,\u0662,\u0663", "--b", "1/2,1/2,1/2", "--c", "0,0,0",
     "--depth", "3"],  # Arabic-Indic digits: int() and Fraction() would read them
    ["classify", "--a", "\uff11,0,0", "--b", "1/2,1/2,1/2", "--c", "0,0,0", "--depth", "2"],
    ["classify", "--preset", "sp:\u0661", "--depth", "2"],
    ["classify", "--a", "0,99,0", "--b", "0,1/2,1/2", "--c", "0,1,1", "--depth", "1"],
    )
add("torch-lr",
    ["torch-lr", "--preset", "sp:-50", "--depth", "2", "--base-width", "1", "--width", "4194304",
     "--base-lr", "1"],  # OverflowError in the width ratio's power
    ["torch-lr", "--preset", "sp:-5", "--depth", "2", "--base-width", "1", "--width", "4194304",
     "--base-lr", "1e300", "--json"],  # an lr of inf (JSON Infinity)
    )
add("coordcheck",
    ["coordcheck", "--preset", "sp:-150", "--depth", "1", "--steps", "1", "--widths",
     "64,128,256", "--seeds", "2"],  # OverflowError inside the sweep's workers
    )
add("coordcheck",  # report.json is a folder: the sweep ran, then the write failed
    ["coordcheck", *PM, "--depth", "1", "--steps", "1", "--widths", "16,32,64", "--seeds", "2",
     "-o", "{dir}/cc"],
    )
add("phase-diagram",
    ["phase-diagram", "--plane", "golikov", "-o", "{dir}/.png"],  # checked after the work
    ["phase-diagram", "--plane", "golikov", "-o", "{dir}/side.png"],  # side.json is a folder
    )
add("derive",
    ["derive", *PM, "--depth", "1", "-o", "{dir}/.tex"],
    )
add("derive",  # -o with another format's extension was written as asked
    [*DV, "--format", "md", "-o", "{dir}/x.tex"],
    [*DV, "--format", "tex", "-o", "{dir}/y.txt"],
    [*DV, "--format", "txt", "-o", "{dir}/y.md"],
    [*DV, "--format", "snippet", "-o", "{dir}/y"],
    ["derive", "--symbolic", "tp4", "--depth", "2", "--steps", "0"],
    )
add("classify", ["classify", "--preset", "sp:", "--depth", "2"])  # was read as plain sp
add("classify",  # the last value was kept without a word
    ["classify", "--preset", "mup", "--preset", "sp", "--depth", "2"],
    ["classify", *PM, "--depth", "2", "--depth=3"],
    )
add("query",  # flags that were ignored without a word
    ["query", "--depth", "2", "--exists", "--method", "smt", "--order", "breadth"],
    ["query", "--depth", "2", "--exists", "--workers", "2"],
    )

#: cases about the process: (subcommand, argv, extra environment)
PROCESS: list[tuple[str, list[str], dict[str, str]]] = [
    ("classify", ["classify", "--a", PAYLOAD, "--b", "1/2,1/2,1/2", "--c", "0,0", "--depth", "2"], {}),
    ("derive", [*DV, "-o", "/dev/full"], {}),
    ("derive", [*DV, "--pdf", "-o", "{dir}/d.pdf"], {"PATH": "/nonexistent"}),  # no TeX on PATH
    ("coordcheck", [*CC, "--widths", "1000000,2000000,4000000"], {}),
    ("coordcheck", [*CC, "--widths", "64,128,256", "--scheduler", "tcp://127.0.0.1:1"], {}),
    ("coordcheck", [*CC, "-o", "{store}"], {}),
    ("convergence", ["convergence", "ntk", "--widths", "1e12", "2e12", "4e12"], {}),
    ("query", ["query", "--depth", "99999999999999999999"], {}),
    ("classify", ["classify", *PM, "--depth", "2", "--steps", "1000000000"], {}),
    ("tour", ["tour", "-o", "/nonexistent/tour"], {}),
    ("(none)", [], {}),
    # fits the machine, not the 1 GB address-space limit: refused by the estimate, no MemoryError
    ("coordcheck", ["coordcheck", *PM, "--depth", "3", "--widths", "4096,8192,16384"], {}),
    ("coordcheck", [*CC, "--widths", "64,128,256"], {"WIDTHLIMITS_MAX_MEMORY": "lots"}),
    ("convergence", ["convergence", "deep-linear", "--widths", "4096", "8192", "16384"], {}),
]


def materialize(root: Path) -> dict[str, str]:
    """Fresh folder, file and garbage store under ``root``; the placeholders' values."""
    d = root / "dir"
    d.mkdir(parents=True, exist_ok=True)
    (d / "sub.png").mkdir(exist_ok=True)
    (d / "side.json").mkdir(exist_ok=True)
    (d / "cc" / "report.json").mkdir(parents=True, exist_ok=True)
    f = root / "afile"
    f.write_text("not a folder\n")
    store = root / "store"
    (store / "sweep").mkdir(parents=True, exist_ok=True)
    (store / "sweep" / "runs.sqlite").write_bytes(b"garbage, not SQLite " * 200)
    return {"dir": str(d), "file": str(f), "store": str(store)}


def fill(argv: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for a in argv:
        for k, v in values.items():
            a = a.replace("{" + k + "}", v)
        out.append(a)
    return out
