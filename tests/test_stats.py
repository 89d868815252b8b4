"""mict.stats: intervals that cover, p-values that are calibrated, and the edge cases.

Coverage is checked by simulation against a known answer: each experiment draws a
(seeds, videos) table from the logit model of `simulate_correctness`, and we count how
often the 95 % interval contains the true expected accuracy (or difference). The count is
binomial, so the tolerance is three binomial SDs around the nominal rate.
"""

import math

import numpy as np
import pytest
from scipy import stats

from mict.stats import (
    Interval,
    _draw,
    arm_accuracy,
    chance_a_rerun_changes_the_finding,
    mcnemar_test,
    paired_difference,
    simulate_correctness,
    simulate_paired_arms,
)

EXPERIMENTS = 1000
SEEDS, VIDEOS = 5, 300


def binomial_tolerance(rate, experiments=EXPERIMENTS):
    return 3 * math.sqrt(rate * (1 - rate) / experiments)


def assert_rate(observed, nominal, experiments=EXPERIMENTS, what="coverage"):
    tolerance = binomial_tolerance(nominal, experiments)
    assert abs(observed - nominal) <= tolerance, f"{what} {observed:.3f}, expected {nominal} ± {tolerance:.3f}"


# --- coverage of one arm --------------------------------------------------------------------------

@pytest.mark.parametrize("seed_sd", [0.4, 0.1], ids=["seed-effect-dominates", "seed-effect-small"])
def test_arm_interval_covers_the_expected_accuracy_at_its_nominal_rate(seed_sd):
    rng = np.random.default_rng(20240 + round(100 * seed_sd))
    covered = 0
    for _ in range(EXPERIMENTS):
        correct, true_accuracy = simulate_correctness(rng, SEEDS, VIDEOS, accuracy=0.87, seed_sd=seed_sd, video_sd=2.0)
        covered += arm_accuracy(correct).interval.contains(true_accuracy)
    assert_rate(covered / EXPERIMENTS, 0.95)


def test_the_seed_effect_settings_differ_as_their_names_say():
    """Share of the seeds in the variance of the mean: most of it when dominant, a small part when small."""
    rng = np.random.default_rng(7)

    def seed_share(seed_sd):
        correct, _ = simulate_correctness(rng, SEEDS, VIDEOS, 0.87, seed_sd, video_sd=2.0)
        seed_term = arm_accuracy(correct).sd ** 2 / SEEDS
        video_term = np.var(100 * correct.mean(axis=0), ddof=1) / VIDEOS
        return seed_term / (seed_term + video_term)

    assert np.median([seed_share(0.4) for _ in range(50)]) > 0.5
    assert np.median([seed_share(0.1) for _ in range(50)]) < 0.3


def test_one_seed_interval_covers_when_seeds_do_not_matter():
    """With one seed the interval is about video sampling; it covers when there is no seed effect."""
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(EXPERIMENTS):
        correct, true_accuracy = simulate_correctness(rng, 1, VIDEOS, accuracy=0.87, seed_sd=0.0, video_sd=2.0)
        covered += arm_accuracy(correct).interval.contains(true_accuracy)
    assert_rate(covered / EXPERIMENTS, 0.95)


def test_a_lower_level_gives_a_narrower_interval_that_still_covers_at_its_rate():
    rng = np.random.default_rng(13)
    covered, experiments = 0, 500
    for _ in range(experiments):
        correct, true_accuracy = simulate_correctness(rng, SEEDS, VIDEOS, accuracy=0.87, seed_sd=0.2, video_sd=2.0)
        wide, narrow = arm_accuracy(correct, level=0.95).interval, arm_accuracy(correct, level=0.8).interval
        assert wide.low < narrow.low < narrow.high < wide.high
        covered += narrow.contains(true_accuracy)
    assert_rate(covered / experiments, 0.8, experiments)


# --- paired differences ---------------------------------------------------------------------------

NULL_SETTINGS = {
    "seed-effect-dominates": dict(accuracy_a=0.87, accuracy_b=0.87, seed_sd=0.4, video_sd=2.0,
                                  seed_correlation=0.0, video_correlation=1.0),
    "seed-effect-small": dict(accuracy_a=0.87, accuracy_b=0.87, seed_sd=0.1, video_sd=2.0,
                              seed_correlation=0.0, video_correlation=0.8),
}
DIFFERENT_ARMS = dict(accuracy_a=0.89, accuracy_b=0.86, seed_sd=0.2, video_sd=2.0,
                      seed_correlation=0.5, video_correlation=0.8)


def run_paired(rng, settings, experiments=EXPERIMENTS):
    """Coverage of the true difference, and the p-values, over simulated paired experiments."""
    covered, p_values = 0, []
    for _ in range(experiments):
        correct_a, correct_b, true_difference = simulate_paired_arms(rng, SEEDS, VIDEOS, **settings)
        result = paired_difference(correct_a, correct_b)
        covered += result.interval.contains(true_difference)
        p_values.append(result.p_value)
    return covered / experiments, np.array(p_values)


@pytest.mark.parametrize("name", NULL_SETTINGS)
def test_paired_difference_under_no_difference_covers_zero_and_p_is_uniform(name):
    coverage, p_values = run_paired(np.random.default_rng(31 + len(name)), NULL_SETTINGS[name])
    assert_rate(coverage, 0.95)
    for threshold in (0.05, 0.2, 0.5):
        assert_rate(np.mean(p_values < threshold), threshold, what=f"rate of p < {threshold}")


def test_paired_difference_covers_a_true_nonzero_difference():
    _, _, true_difference = simulate_paired_arms(np.random.default_rng(0), 2, 2, **DIFFERENT_ARMS)
    assert true_difference > 2  # a real difference, in points
    coverage, _ = run_paired(np.random.default_rng(41), DIFFERENT_ARMS)
    assert_rate(coverage, 0.95)


def test_paired_difference_has_power_against_a_clear_difference():
    settings = dict(accuracy_a=0.90, accuracy_b=0.84, seed_sd=0.1, video_sd=2.0)
    _, p_values = run_paired(np.random.default_rng(43), settings, experiments=200)
    assert np.mean(p_values < 0.05) > 0.8


def test_pairing_uses_the_shared_videos():
    """Shared video difficulty cancels in paired differences: the interval is narrower than unpaired."""
    rng = np.random.default_rng(47)
    paired_widths, unpaired_widths = [], []
    for _ in range(50):
        correct_a, correct_b, _ = simulate_paired_arms(rng, SEEDS, VIDEOS, 0.87, 0.87, seed_sd=0.1, video_sd=2.0)
        paired = paired_difference(correct_a, correct_b).interval
        a, b = arm_accuracy(correct_a).interval, arm_accuracy(correct_b).interval
        paired_widths.append(paired.high - paired.low)
        unpaired_widths.append(math.hypot(a.high - a.low, b.high - b.low))
    assert np.mean(paired_widths) < 0.8 * np.mean(unpaired_widths)


# --- McNemar --------------------------------------------------------------------------------------

def test_mcnemar_counts_discordant_pairs_and_gives_the_exact_binomial_p_value():
    # 7 videos only A gets right, 2 only B, 5 both, 3 neither.
    correct_a = np.array([1] * 7 + [0] * 2 + [1] * 5 + [0] * 3, dtype=bool)
    correct_b = np.array([0] * 7 + [1] * 2 + [1] * 5 + [0] * 3, dtype=bool)
    result = mcnemar_test(correct_a, correct_b)
    assert (result.only_a_correct, result.only_b_correct) == (7, 2)
    assert result.p_value == pytest.approx(stats.binomtest(7, 9, 0.5).pvalue)
    assert result.p_value == pytest.approx(2 * (1 + 9 + 36) / 2**9)  # two tails of Binomial(9, 1/2) at 2 and 7


@pytest.mark.parametrize("only_a, only_b", [(0, 1), (1, 1), (4, 5), (12, 3), (0, 25), (140, 110)])
def test_mcnemar_agrees_with_scipy_binomtest(only_a, only_b):
    correct_a = np.array([True] * only_a + [False] * only_b + [True, False])
    correct_b = np.array([False] * only_a + [True] * only_b + [True, False])
    assert mcnemar_test(correct_a, correct_b).p_value == pytest.approx(stats.binomtest(only_a, only_a + only_b).pvalue)


def test_mcnemar_with_no_disagreement_gives_p_one_and_is_reported_per_seed():
    same = np.array([1, 1, 0, 1, 0], dtype=bool)
    assert mcnemar_test(same, same).p_value == 1.0
    correct_a = np.array([[1, 1, 1, 1, 0], same])
    correct_b = np.array([[0, 0, 0, 1, 0], same])
    per_seed = paired_difference(correct_a, correct_b).mcnemar
    assert [(m.only_a_correct, m.only_b_correct, m.p_value) for m in per_seed] == [
        (3, 0, pytest.approx(0.25)), (0, 0, 1.0)]


# --- edge cases -----------------------------------------------------------------------------------

def test_one_seed_has_no_sd_and_says_its_interval_is_video_sampling_only():
    correct, _ = simulate_correctness(np.random.default_rng(3), 1, VIDEOS, accuracy=0.87, seed_sd=1.0)
    summary = arm_accuracy(correct)
    assert math.isnan(summary.sd)
    assert not summary.includes_seed_variation
    assert "video sampling only" in str(summary)
    assert summary.interval.low < summary.mean < summary.interval.high
    assert arm_accuracy(np.vstack([correct, correct])).includes_seed_variation


def test_all_correct_gives_an_interval_up_to_100_with_the_exact_binomial_lower_bound():
    summary = arm_accuracy(np.ones((SEEDS, VIDEOS), dtype=bool))
    assert summary.mean == 100 and summary.interval.high == 100 and summary.sd == 0
    assert summary.interval.low == pytest.approx(100 * 0.025 ** (1 / VIDEOS))  # Clopper–Pearson with x = n
    all_wrong = arm_accuracy(np.zeros((1, VIDEOS), dtype=bool)).interval
    assert (all_wrong.low, all_wrong.estimate) == (0, 0) and 0 < all_wrong.high < 2


def test_intervals_are_clipped_to_what_the_quantity_can_be():
    nearly_perfect = np.ones((2, 20), dtype=bool)
    nearly_perfect[1, 0] = False
    interval = arm_accuracy(nearly_perfect).interval
    assert interval.high == 100 and interval.low < interval.estimate == 97.5
    difference = paired_difference(nearly_perfect, ~nearly_perfect).interval
    assert -100 <= difference.low < difference.estimate == 95 < difference.high == 100


def test_identical_arms_differ_by_exactly_zero():
    correct, _ = simulate_correctness(np.random.default_rng(5), SEEDS, VIDEOS, accuracy=0.87)
    result = paired_difference(correct, correct)
    assert (result.interval.low, result.mean, result.interval.high, result.p_value) == (0, 0, 0, 1)


def test_mismatched_shapes_raise_a_value_error_naming_both():
    with pytest.raises(ValueError, match=r"\(5, 300\).*\(5, 299\)"):
        paired_difference(np.ones((5, 300)), np.ones((5, 299)))


@pytest.mark.parametrize("bad, message", [
    (np.ones(300), "seeds, videos"),
    (np.full((5, 300), 0.5), "0/1"),
    (np.ones((5, 1)), "two test videos"),
])
def test_malformed_tables_raise_a_clear_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        arm_accuracy(bad)


def test_level_and_accuracy_out_of_range_raise():
    with pytest.raises(ValueError, match="level"):
        arm_accuracy(np.ones((2, 10)), level=95)
    with pytest.raises(ValueError, match="probability"):
        simulate_correctness(np.random.default_rng(0), SEEDS, VIDEOS, accuracy=87)


# --- the simulator and the printed numbers ---------------------------------------------------------

def test_simulated_true_accuracy_is_the_mean_of_a_very_large_experiment():
    seed_sd, video_sd = 1.0, 1.0
    correct, true_accuracy = simulate_correctness(np.random.default_rng(17), 2000, 2000, 0.85, seed_sd, video_sd)
    standard_error = 100 * math.sqrt(correct.mean(axis=1).var() / 2000 + correct.mean(axis=0).var() / 2000)
    assert abs(100 * correct.mean() - true_accuracy) < 4 * standard_error
    assert abs(true_accuracy - 85) > 10 * standard_error  # the spread pulls the mean below the typical run
    assert simulate_correctness(np.random.default_rng(0), 2, 2, 0.85, 0.0, 0.0)[1] == pytest.approx(85)


def test_simulated_paired_arms_know_their_difference():
    rng = np.random.default_rng(19)
    assert simulate_paired_arms(rng, SEEDS, VIDEOS, 0.87, 0.87)[2] == 0
    correct_a, correct_b, true_difference = simulate_paired_arms(rng, 2000, 1000, 0.9, 0.8, seed_sd=0.3,
                                                                 seed_correlation=1.0)
    assert correct_a.shape == correct_b.shape == (2000, 1000)
    assert 100 * (correct_a.mean() - correct_b.mean()) == pytest.approx(true_difference, abs=1.0)
    with pytest.raises(ValueError, match="seed_correlation"):
        simulate_paired_arms(rng, SEEDS, VIDEOS, 0.87, 0.87, seed_correlation=2)


def test_numbers_print_in_percent_with_one_decimal():
    assert str(Interval(91.23, 88.04, 94.06)) == "91.2 [88.0, 94.1]"
    summary = arm_accuracy(np.array([[1, 1, 1, 0], [1, 1, 0, 0]]))
    assert summary.per_seed == (75.0, 50.0) and summary.seeds == 2 and summary.videos == 4
    assert summary.sd == pytest.approx(100 * np.std([0.75, 0.5], ddof=1))
    assert str(summary).startswith(f"{summary.interval} % (SD 17.7 over 2 seeds × 4 videos")


# --- what a rerun of one seed would change --------------------------------------------------------

def _finding(correct_a, correct_b):
    interval = paired_difference(correct_a, correct_b).interval
    return 1 if interval.low > 0 else -1 if interval.high < 0 else 0


@pytest.mark.parametrize("accuracy_a, accuracy_b, seed_sd, video_sd", [(0.6, 0.5, 0.3, 1.0), (0.2, 0.12, 0.5, 1.0)])
def test_the_chance_a_rerun_changes_a_finding_matches_simulated_reruns(accuracy_a, accuracy_b, seed_sd, video_sd):
    """Each experiment draws two paired arms, predicts from them how often training seed 0 anew changes
    the finding, then does train it anew from the true model: averaged over experiments, the
    predicted chance and the rate at which the rerun did change the finding agree."""
    rng = np.random.default_rng(1)
    experiments, predicted, changed = 600, [], []
    for _ in range(experiments):
        video = video_sd * rng.standard_normal((1, VIDEOS))

        def runs(accuracy, count, video=video):
            return _draw(rng, accuracy, seed_sd * rng.standard_normal((count, 1)) + video)

        a, b = runs(accuracy_a, SEEDS), runs(accuracy_b, SEEDS)
        predicted.append(chance_a_rerun_changes_the_finding(a, b, draws=2000, rng=rng))
        rerun_a, rerun_b = a.copy(), b.copy()
        rerun_a[0], rerun_b[0] = runs(accuracy_a, 1)[0], runs(accuracy_b, 1)[0]
        changed.append(_finding(rerun_a, rerun_b) != _finding(a, b))
    assert 0.05 < np.mean(changed) < 0.5  # a setting where reruns do change findings, often enough to tell
    assert np.mean(predicted) == pytest.approx(np.mean(changed), abs=0.06)


def test_a_rerun_cannot_change_a_finding_far_from_zero_and_needs_three_seeds():
    rng = np.random.default_rng(0)
    a, b, _ = simulate_paired_arms(rng, SEEDS, VIDEOS, 0.9, 0.2)
    assert chance_a_rerun_changes_the_finding(a, b) < 0.001
    assert math.isnan(chance_a_rerun_changes_the_finding(a[:2], b[:2]))
    with pytest.raises(ValueError, match="seed is a row"):
        chance_a_rerun_changes_the_finding(a, b, seed=SEEDS)
    with pytest.raises(ValueError, match="same seeds"):
        chance_a_rerun_changes_the_finding(a, b[:3])
