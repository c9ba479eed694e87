"""criteria.yaml loading: defaults in code, documented in the file, strict on typos."""

from __future__ import annotations

import pytest
import yaml

from traomay.checks import battery
from traomay.checks.criteria import (
    TEMPLATE_CRITERIA_FILE,
    default_criteria,
    load_criteria,
    merge_criteria,
)
from traomay.checks.registry import CHECKS

MINE = {spec.name: spec.module for spec in CHECKS}  # every registered check


def test_template_file_loads_and_is_frozen():
    criteria = load_criteria(TEMPLATE_CRITERIA_FILE)
    assert criteria["battery"]["min_hours"] == 4.0
    with pytest.raises(TypeError):
        criteria["battery"]["min_hours"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        criteria["battery"] = {}  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(MINE))
def test_code_defaults_are_documented_in_yaml(name):
    """Every default in code is written in criteria.yaml with the same value."""
    document = yaml.safe_load(TEMPLATE_CRITERIA_FILE.read_text(encoding="utf-8"))
    assert dict(document.get(name) or {}) == dict(MINE[name].DEFAULT_CRITERIA)


def test_yaml_has_a_section_only_for_registered_checks():
    document = yaml.safe_load(TEMPLATE_CRITERIA_FILE.read_text(encoding="utf-8"))
    assert set(document) <= set(MINE)


def test_duplicate_keys_are_refused(tmp_path):
    path = tmp_path / "criteria.yaml"
    path.write_text("camera:\n  min_front: 1\n  min_front: 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate key 'min_front'"):
        load_criteria(path)


@pytest.mark.parametrize("name", sorted(MINE))
def test_every_key_has_a_comment(name):
    lines = TEMPLATE_CRITERIA_FILE.read_text(encoding="utf-8").splitlines()
    if not MINE[name].DEFAULT_CRITERIA:
        return
    start = lines.index(f"{name}:")
    block = []
    for line in lines[start + 1:]:
        if line and not line[0].isspace():
            break
        block.append(line.strip())
    for key in MINE[name].DEFAULT_CRITERIA:
        index = next(i for i, line in enumerate(block) if line.startswith(f"{key}:"))
        above = block[:index]
        # a comment right above, or right above a pair of keys documented together
        assert above and (above[-1].startswith("#") or above[-2].startswith("#")), key


def test_missing_keys_fall_back_to_defaults():
    criteria = merge_criteria(default_criteria(), {"battery": {"min_hours": 5}}, "t.yaml")
    assert criteria["battery"]["min_hours"] == 5
    assert criteria["battery"]["typical_current_ma"] == battery.DEFAULT_CRITERIA[
        "typical_current_ma"]
    assert criteria["camera"]["min_front"] == 1


def test_lists_become_tuples():
    criteria = merge_criteria({"camera": {"ids": ["a"]}}, {"camera": {"ids": ["b", "c"]}}, "t")
    assert criteria["camera"]["ids"] == ("b", "c")


@pytest.mark.parametrize(("document", "words"), [
    ({"battery": {"min_hour": 4}}, ["t.yaml", "'battery'", "'min_hour'", "unknown key"]),
    ({"battery": {"min_hours": "four"}}, ["t.yaml", "'battery'", "'min_hours'", "number"]),
    ({"camera": {"min_front": 1.5}}, ["'camera'", "'min_front'", "whole number"]),
    ({"charging": {"fail_when_discharging_on_wall_charger": 1}}, ["true or false"]),
    ({"batery": {}}, ["t.yaml", "unknown section 'batery'"]),
    ({"battery": [1, 2]}, ["'battery'"]),
    ([1, 2], ["t.yaml", "top level"]),
])
def test_bad_values_name_file_section_and_key(document, words):
    with pytest.raises(ValueError) as info:
        merge_criteria(default_criteria(), document, "t.yaml")
    for word in words:
        assert word in str(info.value)


def test_int_accepted_where_float_default():
    assert merge_criteria(default_criteria(), {"battery": {"min_hours": 6}}, "t")[
        "battery"]["min_hours"] == 6


def test_yaml_syntax_error_names_file_section_and_key(tmp_path):
    path = tmp_path / "criteria.yaml"
    path.write_text("battery:\n  min_hours: 4\n  typical_current_ma: [400\ncamera:\n"
                    "  min_front: 1\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_criteria(path)
    message = str(info.value)
    assert str(path) in message and "YAML error" in message and "'battery'" in message


def test_tab_indentation_error(tmp_path):
    path = tmp_path / "criteria.yaml"
    path.write_text("camera:\n\tmin_front: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="criteria.yaml"):
        load_criteria(path)


def test_unreadable_file(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        load_criteria(tmp_path / "missing.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"camera:\n  # caf\xe9\n")
    with pytest.raises(ValueError, match="UTF-8"):
        load_criteria(bad)


def test_empty_file_is_refused_not_silently_defaults(tmp_path):
    path = tmp_path / "criteria.yaml"
    path.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        load_criteria(path)


@pytest.mark.parametrize(("text", "rule"), [
    ("camera:\n  min_front: 0\n", "camera.min_front"),
    ("accounts:\n  blocking_account_types: []\n", "accounts.blocking_account_types"),
    ("battery:\n  min_hours: 2.0\n", "battery.min_hours"),
    ("wifi:\n  min_networks: 0\n", "wifi.min_networks"),
    ("cellular:\n  call_test_optional: true\n", "cellular.call_test_optional"),
])
def test_criteria_that_weaken_a_campaign_rule_need_an_acknowledgement(tmp_path, text, rule):
    path = tmp_path / "criteria.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="weakens a campaign rule") as err:
        load_criteria(path)
    assert rule in str(err.value) and "acknowledge" in str(err.value)
    path.write_text(text + f'acknowledge:\n  {rule}: "commune decision 12/2026, Lan"\n',
                    encoding="utf-8")
    section, key = rule.split(".")
    assert load_criteria(path)[section][key] is not None


def test_acknowledging_an_unknown_rule_or_without_reason_is_refused(tmp_path):
    path = tmp_path / "criteria.yaml"
    path.write_text('acknowledge:\n  camera.open_test: "x"\ncamera:\n  min_back: 1\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="not a rule"):
        load_criteria(path)
    path.write_text('acknowledge:\n  camera.min_front: ""\ncamera:\n  min_front: 0\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="why"):
        load_criteria(path)


def test_a_key_a_check_does_not_have_is_refused_even_without_defaults(tmp_path):
    path = tmp_path / "criteria.yaml"
    path.write_text("compatibility:\n  required_apps: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown key"):
        load_criteria(path)


@pytest.mark.parametrize("bad", [".inf", "-1", "99999", ".nan"])
def test_waits_must_be_finite_and_bounded(tmp_path, bad):
    from traomay.checks.criteria import load_criteria

    path = tmp_path / "criteria.yaml"
    path.write_text(f"gps:\n  fix_timeout_s: {bad}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="fix_timeout_s"):
        load_criteria(path)
