"""Honest numbers for arms trained with several seeds and tested on the same videos.

An *arm* is a model variant (say MiCT-ResNet-18 with a 3-frame first kernel) trained once
per seed. What we keep of each run is which test videos it got right: a 0/1 table
``correct[s, v]`` of shape (seeds, videos). The number we want is the arm's *expected*
accuracy: averaged over the seeds one could have drawn and over the population of videos
the test set was drawn from. Both are sampled, so both belong in the interval.

The method. Write a cell as ``x[s, v] = m + A[s] + B[v] + E[s, v]``: a seed effect, a
video effect (some videos are hard for every run) and the rest (run-to-run noise on a
video, and the Bernoulli draw). With seeds and videos drawn independently, the grand mean
has variance ``var(A)/S + var(B)/V + var(E)/(S V)``, and each piece can be read off the
table (in expectation):

* the per-seed accuracies share the same videos, so the video effects cancel in their
  spread: their variance across seeds, ``s2_seeds``, estimates ``var(A) + var(E)/V``, and
  ``s2_seeds / S`` counts the seeds and the noise, each once;
* the seed-averaged per-video correctness varies across videos by ``var(B) + var(E)/S``;
  its noise part is already in the seed term, so we subtract it, using the residual mean
  square of the two-way table, ``s2_noise``, as the estimate of ``var(E)`` (never going
  below zero).

So ``SE**2 = s2_seeds/S + max(s2_videos - s2_noise/S, 0)/V`` and the interval is
``mean ± t(df) SE``, with a Welch–Satterthwaite ``df`` from the two terms' S−1 and V−1
degrees of freedom: with few seeds, and a seed effect that dominates, it falls to about
S−1 and the interval widens as it must. Simply adding the two variances would count the
noise twice: safe, but needlessly wide, most of all for paired differences, whose
disagreements are mostly run-to-run noise. A two-level percentile bootstrap goes wrong
the other way with ~5 seeds: resampling seeds shrinks their variance by (S−1)/S, and
percentiles behave like normal quantiles where t quantiles with S−1 df are needed.
`tests/test_stats.py` checks the coverage by simulation (`simulate_correctness`,
`simulate_paired_arms`). Its limits: when a large seed effect dominates, the interval
covers a little less than nominal, and more so with two or three seeds (per-seed
accuracies are skewed, and a t interval on a handful of skewed values is too short on
the side of the long tail); and like any t interval it assumes accuracies not pressed
against 0 or 100 %. A table where every run gets every video right (or wrong) has no
spread at all; `arm_accuracy` then reports the exact binomial bound over the videos.

With one seed there is no seed spread to measure: the interval then reflects the
sampling of test videos only, i.e. it is about *that* trained model, not the arm.
`ArmSummary.includes_seed_variation` and its text say so.

Two arms are *paired* when row s of both used the same seed number and column v is the
same video. `paired_difference` applies the same method to the cell-wise differences
A−B, where the shared video difficulty largely cancels, and so does whatever the same
seed number shares between the two runs (if nothing, pairing by seed costs nothing: the
per-seed differences are still independent across seeds). It adds per-seed exact
McNemar tests. Every number is in percent (accuracies) or percentage points (differences).
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import integrate, special, stats


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval, in percent or percentage points."""

    estimate: float
    low: float
    high: float
    level: float = 0.95

    def __str__(self) -> str:
        return f"{self.estimate:.1f} [{self.low:.1f}, {self.high:.1f}]"

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


class _OverSeedsAndVideos:
    """What a summary over seeds × videos says about its own interval (needs `interval` and `seeds`)."""

    @property
    def mean(self) -> float:
        return self.interval.estimate

    @property
    def includes_seed_variation(self) -> bool:
        """False with one seed: the interval then covers the sampling of test videos only."""
        return self.seeds > 1


@dataclass(frozen=True)
class ArmSummary(_OverSeedsAndVideos):
    """One arm: mean accuracy over seeds and videos, its spread over seeds and its interval."""

    interval: Interval
    sd: float  # over seeds, of the per-seed accuracies; NaN with one seed
    per_seed: tuple[float, ...]
    seeds: int
    videos: int

    def __str__(self) -> str:
        if not self.includes_seed_variation:
            return f"{self.interval} % (1 seed × {self.videos} videos: the interval reflects video sampling only)"
        return f"{self.interval} % (SD {self.sd:.1f} over {self.seeds} seeds × {self.videos} videos)"


@dataclass(frozen=True)
class McNemar:
    """Exact McNemar test of two runs on the same videos: only the videos they disagree on count."""

    only_a_correct: int
    only_b_correct: int
    p_value: float


@dataclass(frozen=True)
class PairedDifference(_OverSeedsAndVideos):
    """Arm A minus arm B, seed by seed and video by video, in percentage points."""

    interval: Interval
    p_value: float  # two-sided, for "the arms have the same expected accuracy"
    per_seed: tuple[float, ...]
    mcnemar: tuple[McNemar, ...]  # one per seed: did these two particular runs differ?
    seeds: int
    videos: int

    def __str__(self) -> str:
        p = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"
        note = "" if self.includes_seed_variation else ": video sampling only"
        return f"A − B: {self.interval} points, {p} ({self.seeds} seeds × {self.videos} videos{note})"


def arm_accuracy(correct, level: float = 0.95) -> ArmSummary:
    """Mean accuracy of one arm, with an interval for its expected accuracy over seeds and videos."""
    _check_level(level)
    table = _correctness_table(correct, "correct")
    seeds, videos = table.shape
    per_seed = 100 * table.mean(axis=1)
    estimate, standard_error, df = _mean_and_standard_error(table)
    if np.all(table == table.flat[0]):
        # Every run right (or wrong) on every video: no spread to measure, so fall back on
        # the exact binomial (Clopper–Pearson) bound that the number of videos alone allows.
        ci = stats.binomtest(round(estimate * videos), videos).proportion_ci(level, method="exact")
        low, high = ci.low, ci.high
    else:
        low, high = _t_interval(estimate, standard_error, df, level)
    interval = _interval_in_percent(estimate, low, high, level, lowest=0)
    return ArmSummary(interval=interval, sd=_seed_sd(per_seed), per_seed=tuple(per_seed.tolist()),
                      seeds=seeds, videos=videos)


def paired_difference(correct_a, correct_b, level: float = 0.95) -> PairedDifference:
    """Arm A minus arm B on paired runs (same seed numbers, same videos): interval, p-value, McNemar per seed."""
    _check_level(level)
    table_a, table_b = _paired_tables(correct_a, correct_b)
    seeds, videos = table_a.shape
    differences = table_a - table_b
    estimate, standard_error, df = _mean_and_standard_error(differences)
    if standard_error > 0:
        low, high = _t_interval(estimate, standard_error, df, level)
        p_value = float(2 * stats.t.sf(abs(estimate) / standard_error, df))
    else:  # every video gives the same difference in every run: nothing varies
        low = high = estimate
        p_value = 1.0 if estimate == 0 else 0.0
    interval = _interval_in_percent(estimate, low, high, level, lowest=-1)
    return PairedDifference(
        interval=interval, p_value=p_value, per_seed=tuple((100 * differences.mean(axis=1)).tolist()),
        mcnemar=_mcnemar_per_seed(table_a.astype(bool), table_b.astype(bool)), seeds=seeds, videos=videos)


def chance_a_rerun_changes_the_finding(correct_a, correct_b, seed: int = 0, level: float = 0.95,
                                       draws: int = 20_000, rng: np.random.Generator | None = None) -> float:
    """The chance that training row `seed` of both arms anew changes what `paired_difference`'s interval
    supports (A more accurate, A less accurate, or neither). Another CPU family's run of a seed
    lands like a fresh seed, so this is the chance that a course run elsewhere reads a different
    finding; `seed` is a row index (0: the seed the course trains live).

    The rerun's mean difference is drawn from what the other seeds predict of one more seed: their
    mean plus their SD × sqrt(1 + 1/(S−1)) × a t variate with S−2 df (the predictive distribution of
    one more draw from a normal population whose mean and SD are unknown). The video part of the
    variance is held as it is, since the rerun's videos are the same. Needs three seeds or more; NaN
    with fewer. `tests/test_stats.py` checks it against reruns simulated from a known model.
    """
    _check_level(level)
    table_a, table_b = _paired_tables(correct_a, correct_b)
    differences = table_a - table_b
    seeds, videos = differences.shape
    if not 0 <= seed < seeds:
        raise ValueError(f"seed is a row of the tables, 0 … {seeds - 1}, got {seed}")
    if seeds < 3:
        return float("nan")
    rng = np.random.default_rng(0) if rng is None else rng
    seed_means = differences.mean(axis=1)
    others = np.delete(seed_means, seed)
    scale = others.std(ddof=1) * np.sqrt(1 + 1 / others.size)
    reruns = np.tile(seed_means, (draws, 1))
    reruns[:, seed] = others.mean() + scale * rng.standard_t(others.size - 1, draws)
    _, video_term = _variance_terms(differences)

    def finding(means: np.ndarray) -> np.ndarray:  # +1: A more accurate, -1: less, 0: neither
        estimate, seed_term = means.mean(axis=-1), means.var(axis=-1, ddof=1) / seeds
        variance = seed_term + video_term
        with np.errstate(invalid="ignore", divide="ignore"):  # no variance at all: the interval is a point
            df = _welch_df(seed_term, video_term, seeds, videos)
            half_width = np.where(variance > 0, stats.t.ppf((1 + level) / 2, df) * np.sqrt(variance), 0.0)
        return np.where(estimate - half_width > 0, 1, np.where(estimate + half_width < 0, -1, 0))

    return float(np.mean(finding(reruns) != finding(seed_means)))


def mcnemar_test(correct_a, correct_b) -> McNemar:
    """Exact McNemar test for two runs on the same videos (1-D arrays), e.g. the same seed of two arms.

    Under "no difference" each disagreement is equally likely to go either way, so the count
    of videos only A gets right is Binomial(disagreements, 1/2). It knows nothing of seed
    variation: it says whether these two trained models differ, not whether the arms do.
    """
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"mcnemar_test needs two 1-D arrays of the same length, got shapes {a.shape} and {b.shape}")
    return _mcnemar_per_seed(a[None, :], b[None, :])[0]


def simulate_correctness(rng: np.random.Generator, seeds: int, videos: int, accuracy: float,
                         seed_sd: float = 0.2, video_sd: float = 2.0) -> tuple[np.ndarray, float]:
    """Simulated ``correct`` table of one arm, and the true expected accuracy (in %) it estimates.

    Run s gets video v right with probability ``expit(logit(accuracy) + a[s] + b[v])``, with
    ``a ~ N(0, seed_sd)`` and ``b ~ N(0, video_sd)`` on the logit scale. So ``accuracy`` is
    that of a typical run on a typical video; the arm's expected accuracy, averaged over
    seeds and videos, differs from it (it is lower above 50 %) and is returned, computed by
    numerical integration (adaptive quadrature): ``a + b`` is normal, so it is a
    one-dimensional integral.
    """
    seed_effects = seed_sd * rng.standard_normal((seeds, 1))
    video_effects = video_sd * rng.standard_normal((1, videos))
    correct = _draw(rng, accuracy, seed_effects + video_effects)
    return correct, _expected_accuracy(accuracy, np.hypot(seed_sd, video_sd))


def simulate_paired_arms(rng: np.random.Generator, seeds: int, videos: int, accuracy_a: float, accuracy_b: float,
                         seed_sd: float = 0.2, video_sd: float = 2.0, seed_correlation: float = 0.0,
                         video_correlation: float = 1.0) -> tuple[np.ndarray, np.ndarray, float]:
    """Simulated paired tables of two arms, and their true difference A−B in expected accuracy (points).

    Each arm follows `simulate_correctness`'s model. Their video effects are correlated by
    ``video_correlation`` (1: the same videos are hard for both) and their seed effects by
    ``seed_correlation`` (0: the same seed number gives unrelated runs). The correlations
    change how precise the comparison is, not the true difference.
    """
    for name, value in (("seed_correlation", seed_correlation), ("video_correlation", video_correlation)):
        if not -1 <= value <= 1:
            raise ValueError(f"{name} must lie in [-1, 1], got {value}")

    def correlated(shape, correlation):
        shared, own = rng.standard_normal(shape), rng.standard_normal(shape)
        return shared, correlation * shared + np.sqrt(1 - correlation**2) * own

    seed_a, seed_b = correlated((seeds, 1), seed_correlation)
    video_a, video_b = correlated((1, videos), video_correlation)
    correct_a = _draw(rng, accuracy_a, seed_sd * seed_a + video_sd * video_a)
    correct_b = _draw(rng, accuracy_b, seed_sd * seed_b + video_sd * video_b)
    spread = np.hypot(seed_sd, video_sd)
    return correct_a, correct_b, _expected_accuracy(accuracy_a, spread) - _expected_accuracy(accuracy_b, spread)


def _mcnemar_per_seed(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[McNemar, ...]:
    """McNemar for each row of two boolean (seeds, videos) tables, in one vectorised pass.

    With a fair coin the two-sided exact binomial p-value is twice the smaller tail, at most
    1 (what ``scipy.stats.binomtest`` gives, without its per-call cost). No disagreement at
    all gives p = 1: Binomial(0, 1/2) puts all its mass on 0.
    """
    only_a = np.sum(correct_a & ~correct_b, axis=1)
    only_b = np.sum(~correct_a & correct_b, axis=1)
    p_values = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(only_a, only_b), only_a + only_b, 0.5))
    return tuple(McNemar(int(a), int(b), float(p)) for a, b, p in zip(only_a, only_b, p_values, strict=True))


def _paired_tables(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    """The two arms' (seeds, videos) tables, checked to pair row for row and column for column."""
    table_a = _correctness_table(correct_a, "correct_a")
    table_b = _correctness_table(correct_b, "correct_b")
    if table_a.shape != table_b.shape:
        raise ValueError(f"correct_a has shape {table_a.shape} but correct_b has shape {table_b.shape}: "
                         "paired arms need the same seeds (rows) and the same test videos (columns)")
    return table_a, table_b


def _correctness_table(correct, name: str) -> np.ndarray:
    """The (seeds, videos) 0/1 table as floats, or a ValueError that says what is wrong."""
    table = np.asarray(correct)
    if table.ndim != 2:
        raise ValueError(f"{name} must be a (seeds, videos) array, got shape {table.shape}; "
                         "for a single run use correct[None, :]")
    if table.shape[0] < 1 or table.shape[1] < 2:
        raise ValueError(f"{name} needs at least one seed and two test videos, got shape {table.shape}")
    if not np.isin(table, (0, 1)).all():
        raise ValueError(f"{name} must hold booleans or 0/1 values")
    return table.astype(float)


def _mean_and_standard_error(table: np.ndarray) -> tuple[float, float, float]:
    """Grand mean of a (seeds, videos) table, its standard error over seeds and videos, and its df."""
    seeds, videos = table.shape
    mean = table.mean()
    if seeds == 1:  # no seed spread to measure: video sampling only
        return mean, float(np.sqrt(table.mean(axis=0).var(ddof=1) / videos)), videos - 1
    seed_term, video_term = _variance_terms(table)
    variance = seed_term + video_term
    if variance == 0:
        return mean, 0.0, np.inf
    return mean, float(np.sqrt(variance)), float(_welch_df(seed_term, video_term, seeds, videos))


def _variance_terms(table: np.ndarray) -> tuple[float, float]:
    """The seed and the video parts of the grand mean's variance (the module's docstring), two seeds or more."""
    seeds, videos = table.shape
    seed_means, video_means = table.mean(axis=1), table.mean(axis=0)
    residuals = table - seed_means[:, None] - video_means[None, :] + table.mean()
    noise_variance = np.sum(residuals**2) / ((seeds - 1) * (videos - 1))
    seed_term = seed_means.var(ddof=1) / seeds
    return seed_term, max(video_means.var(ddof=1) - noise_variance / seeds, 0.0) / videos


def _welch_df(seed_term, video_term, seeds: int, videos: int):
    return (seed_term + video_term)**2 / (seed_term**2 / (seeds - 1) + video_term**2 / (videos - 1))


def _t_interval(estimate: float, standard_error: float, df: float, level: float) -> tuple[float, float]:
    half_width = stats.t.ppf((1 + level) / 2, df) * standard_error
    return estimate - half_width, estimate + half_width


def _interval_in_percent(estimate: float, low: float, high: float, level: float, lowest: float) -> Interval:
    """From fractions to percent, clipped to what the quantity can be: an accuracy (lowest 0) or a difference (-1)."""
    return Interval(float(100 * estimate), float(100 * max(low, lowest)), float(100 * min(high, 1)), level)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")


def _seed_sd(per_seed: np.ndarray) -> float:
    return float(per_seed.std(ddof=1)) if per_seed.size > 1 else float("nan")


def _draw(rng: np.random.Generator, accuracy: float, logit_effects: np.ndarray) -> np.ndarray:
    """Bernoulli draws with probability expit(logit(accuracy) + effects)."""
    if not 0 < accuracy < 1:
        raise ValueError(f"accuracy is a probability in (0, 1), got {accuracy}")
    probability = special.expit(special.logit(accuracy) + logit_effects)
    return rng.random(probability.shape) < probability


@lru_cache(maxsize=256)
def _expected_accuracy(accuracy: float, logit_sd: float) -> float:
    """E[expit(logit(accuracy) + logit_sd Z)] in %, Z standard normal, by adaptive quadrature."""
    intercept = special.logit(accuracy)

    def integrand(z):
        return special.expit(intercept + logit_sd * z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)

    value, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-12, epsrel=1e-12)
    return 100 * value
