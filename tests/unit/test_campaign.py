"""campaign.yaml and the campaign folder: the template loads; mistakes are named."""

from __future__ import annotations

import pytest

from traomay.core.campaign import TEMPLATES, CampaignFolder, find_folder, load_campaign
from traomay.core.errors import BadInputError


def test_template_loads_with_the_lai_uyen_quotas():
    campaign = load_campaign(TEMPLATES / "campaign.yaml")
    assert campaign.organiser.startswith("Đoàn Thanh niên")
    assert len(campaign.donor_units) == 15
    assert sum(u.quota for u in campaign.donor_units) == 36
    assert campaign.unit("khu phố đồng sơn").quota == 4


@pytest.mark.parametrize(("text", "words"), [
    ("schema: 1\ncampaign: {name: a, organiser: b}\n", "campaign.station"),
    ("schema: 1\ncampaign: {name: a, organiser: b, station: c, color: d}\n", "campaign.color"),
    ("schema: 2\ncampaign: {name: a, organiser: b, station: c}\n", "schema"),
    ("schema: 1\ncampaign: {name: a, organiser: b, station: c}\ndonor_units:\n"
     "  - {name: X, quota: -1}\n", "quota"),
    ("schema: 1\ncampaign: {name: a, organiser: b, station: c}\ndonor_units:\n"
     "  - {name: X, quota: 1}\n  - {name: x, quota: 2}\n", "twice"),
    ("schema: 1\nschema: 1\n", "duplicate"),
    ("schema: 1\ncampaign: {name: a, organiser: b, station: c}\nquotas: []\n", "quotas"),
])
def test_mistakes_are_named(tmp_path, text, words):
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInputError) as err:
        load_campaign(path)
    assert words in str(err.value) or words in str(err.value.message.args)
    assert err.value.exit_code == 5


def test_folder_is_found_explicit_then_env_then_current_then_default(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAOMAY_CAMPAIGN", raising=False)
    assert find_folder(tmp_path / "x").root == tmp_path / "x"
    here = tmp_path / "here"
    here.mkdir()
    (here / "campaign.yaml").write_text("schema: 1\n", encoding="utf-8")
    assert find_folder(cwd=here).root == here
    monkeypatch.setenv("TRAOMAY_CAMPAIGN", str(tmp_path / "env"))
    assert find_folder(cwd=here).root == tmp_path / "env"
    folder = CampaignFolder(tmp_path)
    assert folder.inventory_file.name == "inventory.sqlite" and not folder.initialised
