"""Statistics of the reproduction: comparisons of test accuracy over seeds, with intervals, tests and verdicts.

The settings below were fixed on 2026-11-29 at 21:55 UTC (commit d0169fa), five minutes after the runs of seeds
3-9 started; 2 of those 84 runs (qpcnn-L1 and mobilenet-qpc, seed 3) had finished by then, and the margin was chosen
from the spreads of the committed 3-seed runs alone:

* :data:`ALPHA` — every test is two-sided at 5% (TOST: two one-sided tests at 5% each), Holm-adjusted over the
  family of comparisons a summary makes.
* :data:`EQUIVALENCE_MARGIN` — 0.5 percentage points of test accuracy. Why: the paper's abstract claims
  accuracy *competitive* with the classical counterpart, i.e. not meaningfully worse. On FashionMNIST a gap below
  half a point is smaller than the seed-to-seed spread of one model in our 3-seed runs (standard deviations
  0.06-0.48 points) and far smaller than the gaps that separate architectures of this size (1-3 points); with
  10 seeds per arm and a spread of about 0.35 points, the margin is wide enough to be decided (TOST has about
  80% power at a true difference of zero) and narrow enough to mean "no practical difference".
* :data:`POWER` — the smallest detectable difference quoted for undecided comparisons is the one a Welch test
  at :data:`ALPHA` would detect with 80% power.
"""

from __future__ import annotations

#: two-sided significance level of every test (TOST: each one-sided test at this level)
ALPHA = 0.05
#: equivalence / non-inferiority margin, in percentage points of test accuracy (fixed before the ten-seed runs)
EQUIVALENCE_MARGIN = 0.5
#: power at which the smallest detectable difference of an undecided comparison is quoted
POWER = 0.8
