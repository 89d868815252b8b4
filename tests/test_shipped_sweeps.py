"""The sweep records shipped in data/sweeps: complete, current with today's code, and the evidence
behind the choices the code makes from them."""

import pytest

from mict.config import make_config
from mict.course.analysis.ablation import learning_rates_chosen_on_validation
from mict.course.analysis.machines import findings_on_both, other_cpu_dir
from mict.sweep import CHOSEN_ON_VALIDATION, SWEEPS, load_sweep, missing_records, stale_records


@pytest.mark.parametrize("name", list(SWEEPS))
def test_every_arm_and_seed_is_shipped(name):
    missing = missing_records(name)
    assert not missing, f"data/sweeps/{name} lacks {missing}: run `make sweep` (or `mict sweep {name}`)"


@pytest.mark.parametrize("name", list(SWEEPS))
def test_no_shipped_record_is_stale(name):
    stale = stale_records(name)
    assert not stale, (f"today's code would train or evaluate these records of data/sweeps/{name} differently: "
                       f"{stale}. Regenerate them with `make sweep`; or, where only the training code changed and "
                       f"it still trains the same runs, `mict sweep {name} --restamp` on an Intel Xeon with "
                       f"`--verify-against data/sweeps-intel-xeon` proves that and moves them to today's code.")


def learning_rate_validation_chose(version: str) -> float:
    return learning_rates_chosen_on_validation(load_sweep("learning-rate"))[version][0]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_clip_length_sweep_trains_at_the_learning_rate_validation_chose(version):
    chosen = learning_rate_validation_chose(version)
    assert CHOSEN_ON_VALIDATION[version]["lr"] == chosen, (
        f"{version}: the shipped learning-rate sweep's validation now prefers lr {chosen:g}; set "
        f"mict.sweep.CHOSEN_ON_VALIDATION[{version!r}] to it and regenerate the clip-length sweep")
    arm = SWEEPS["clip-length"].arm(version)
    assert SWEEPS["clip-length"].config(arm, seed=0).lr == chosen


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_learning_rates_of_the_quick_profile_are_the_ones_validation_chose(version):
    chosen = learning_rate_validation_chose(version)
    assert make_config("quick", version=version).lr == chosen, (
        f"{version}: validation chose lr {chosen:g}; make it the quick profile's default for {version}")


def test_records_say_which_machine_made_them():
    for name in SWEEPS:
        for records in load_sweep(name).values():
            for record in records:
                assert record.meta["machine"]["cpu"] and record.meta["machine"]["threads"] >= 1


def versions_by_run(folder, name: str) -> dict:
    return {(arm, r.seed): (r.meta["key"], r.meta["training_code"], r.meta["evaluation_code"])
            for arm, runs in load_sweep(name, folder).items() for r in runs}


@pytest.mark.parametrize("name", list(SWEEPS))
def test_the_other_cpu_familys_records_are_the_same_runs_by_the_same_code(name):
    """data/sweeps-intel-xeon is worth comparing only while it holds the very runs of data/sweeps."""
    assert versions_by_run(other_cpu_dir(), name) == versions_by_run(None, name), (
        f"data/sweeps-intel-xeon/{name} no longer holds the runs of data/sweeps/{name} made by the same code: "
        f"train it again on an Intel Xeon (`mict sweep all --out data/sweeps-intel-xeon`), or remove it and "
        f"what notebooks 05 and 06, the README and SWEEPS.md say about it")


@pytest.mark.parametrize("name", list(SWEEPS))
def test_both_cpu_families_records_draw_the_same_findings(name):
    findings = findings_on_both(name, load_sweep(name), load_sweep(name, other_cpu_dir()))
    assert len(findings) and findings["same finding"].all(), (
        f"the two CPU families' records of {name} draw different findings:\n{findings.to_string()}\n"
        f"notebooks 05 and 06, the README and SWEEPS.md say they draw the same")
