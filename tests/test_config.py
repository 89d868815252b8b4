"""Training configurations: the pinned paper recipe, what identifies a run, and every flag's help."""

import dataclasses

import pytest

from mict.cli import build_parser
from mict.config import RUN_AGNOSTIC_FIELDS, TrainConfig, differences, make_config
from mict.errors import ConfigError

#: The original's recipe (Mahoudeau's README), field by field: a change to the quick profile must
#: never move it.
PAPER_RECIPE = {
    "profile": "full", "data": None, "synthetic": "motion", "split": 1, "frames": 16, "crop_size": 160,
    "base_size": 192, "hflip": True, "crop_scales": (128, 144, 160, 176, 192), "colour_jitter": 0.5, "max_step": 4,
    "val_groups": 3, "workers": 8, "model": "mict_resnet18", "width": 64, "dropout": 0.5, "version": "v1",
    "temporal_kernel": 7, "pretrained": True, "optimizer": "sgd", "lr": 0.01, "momentum": 0.9,
    "weight_decay": 0.0005, "batch_size": 112, "accumulation": 1, "epochs": 120, "schedule": "step",
    "lr_steps": (80,), "lr_gamma": 0.1, "warmup_epochs": 0.0, "device": "auto", "amp": "auto",
    "sync_bn": False, "seed": 0, "out": None, "extra": {},
}


def test_the_full_profile_is_the_paper_recipe_field_by_field():
    assert make_config("full").to_dict() == PAPER_RECIPE
    resnet3d = make_config("full", model="resnet3d_18").to_dict()
    assert resnet3d == {**PAPER_RECIPE, "model": "resnet3d_18", "epochs": 90, "schedule": "multistep",
                        "lr_steps": (40, 80)}


def test_run_agnostic_fields_change_neither_the_key_nor_the_identity(tmp_path):
    base = make_config("quick")
    for name, value in (("out", str(tmp_path)), ("workers", 4), ("device", "cpu"), ("extra", {"note": 1})):
        other = make_config("quick", **{name: value})
        assert other.key() == base.key() and not differences(base, other), name
    assert set(RUN_AGNOSTIC_FIELDS) == {"out", "workers", "device", "extra"}


@pytest.mark.parametrize("name, value", [("lr", 1e-3), ("epochs", 3), ("seed", 1), ("temporal_kernel", 3),
                                         ("model", "resnet3d_18"), ("data", "/elsewhere")])
def test_every_other_field_makes_another_run(name, value):
    base, other = make_config("quick"), make_config("quick", **{name: value})
    assert other.key() != base.key()
    assert [d.split(":")[0] for d in differences(base, other)] == [name]


def test_the_key_includes_the_version_of_the_training_code(monkeypatch):
    import mict.config

    key = make_config("quick").key()
    monkeypatch.setattr(mict.config, "code_version", lambda: "another-version")
    assert make_config("quick").key() != key


def test_data_inside_the_data_folder_keys_the_same_wherever_the_folder_is(tmp_path, monkeypatch):
    monkeypatch.setenv("MICT_DATA", str(tmp_path / "one"))
    first = make_config("quick")
    assert first.identity()["data"] == "synthetic/prepared"
    monkeypatch.setenv("MICT_DATA", str(tmp_path / "two"))
    assert make_config("quick").key() == first.key()


def test_the_synthetic_dataset_names_its_own_folder_and_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MICT_DATA", str(tmp_path))
    motion, speed = make_config("quick"), make_config("quick", synthetic="speed")
    assert speed.identity()["data"] == "synthetic-speed/prepared" and speed.generates_synthetic_data()
    assert sorted(d.split(":")[0] for d in differences(motion, speed)) == ["data", "synthetic"]
    with pytest.raises(ConfigError, match="synthetic must be one of"):
        make_config("quick", synthetic="tempo")
    for unused in ({"data": str(tmp_path)}, {"profile": "full"}):
        with pytest.raises(ConfigError, match="'speed' picks the quick profile's default dataset, so it does nothing"):
            make_config(unused.pop("profile", "quick"), synthetic="speed", **unused)
    assert make_config("quick", data=str(tmp_path)).synthetic == "motion"


def test_every_train_flag_has_help_and_the_fields_choices():
    parser = build_parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices.items() if a[0] == "train")[1]
    flags = {action.dest: action for action in train._actions if action.option_strings}
    for field in dataclasses.fields(TrainConfig):
        if field.name in ("profile", "extra"):
            continue
        action = flags[field.name]
        assert action.help and action.help.startswith(field.metadata["help"]), field.name
        if field.metadata["choices"] is not None:
            assert tuple(action.choices) == field.metadata["choices"], field.name


@pytest.mark.parametrize("overrides, message", [
    (dict(optimizer="lion"), r"optimizer must be one of \['sgd', 'adamw'\], got 'lion'"),
    (dict(frames=0), "frames must be at least 1, got 0"),
    (dict(crop_size=60), "crop_size 60 is larger than base_size 54"),
    (dict(schedule="step"), "needs lr_steps"),
    (dict(temporal_kernel=4), r"temporal_kernel must be one of \[3, 5, 7\]"),
    (dict(colour_jitter=-0.1), "colour_jitter must be at least 0"),
])
def test_bad_settings_raise_a_config_error_that_names_them(overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_config("quick", **overrides)


def test_options_a_model_does_not_take_are_not_checked():
    assert make_config("quick", model="resnet3d_18", temporal_kernel=4).model == "resnet3d_18"
    assert make_config("quick", model="mict_resnet18_2d").model_options() == {
        "width": 16, "dropout": 0.2, "pretrained": False, "version": "v1"}
