"""The campaign folder: the volunteer's own files, apart from the installed program.

A campaign folder holds ``campaign.yaml`` (the campaign, its station, donor units and
quotas), ``criteria.yaml``, ``apk_manifest.yaml`` with ``apks/``, the inventory
(``inventory.sqlite``), the campaign key (``campaign.key``), and what the station writes
(``logs/``, ``outputs/``). Every command finds it the same way (:func:`find_folder`):
``--campaign FOLDER``, else ``$TRAOMAY_CAMPAIGN``, else the current folder when it holds a
``campaign.yaml``, else the per-user data folder (``%LOCALAPPDATA%\\traomay`` on Windows,
``~/.local/share/traomay`` elsewhere). The files shipped in the package
(``traomay/templates``) are templates copied at ``traomay init``, never edited in place, so
an upgrade keeps the volunteer's files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from traomay.core.errors import BadInputError
from traomay.core.msg import Msg
from traomay.core.strict_yaml import load_strict

CAMPAIGN_FILE = "campaign.yaml"
CRITERIA_FILE = "criteria.yaml"
MANIFEST_FILE = "apk_manifest.yaml"
INVENTORY_FILE = "inventory.sqlite"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SCHEMA = 1


TEMPLATE_FILES = (CAMPAIGN_FILE, CRITERIA_FILE, MANIFEST_FILE)


def default_folder() -> Path:
    """The per-user data folder (platformdirs): where a campaign lives unless told.

    On Windows ``%LOCALAPPDATA%\\traomay`` when that variable is set (where the inventory
    always lived; platformdirs asks the shell API and ignores the variable), else
    platformdirs' answer (the same folder on a normal account)."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "traomay"
    from platformdirs import user_data_dir

    return Path(user_data_dir("traomay", appauthor=False, roaming=False))


class ChosenBy(str, Enum):
    """How :func:`find_folder` chose the campaign folder (``traomay where`` says it)."""

    OPTION = "option"  # --campaign FOLDER
    ENVIRONMENT = "environment"  # $TRAOMAY_CAMPAIGN
    CURRENT = "current"  # the current folder holds a campaign.yaml
    DEFAULT = "default"  # the per-user data folder


@dataclass(frozen=True)
class CampaignFolder:
    root: Path
    chosen_by: ChosenBy = field(default=ChosenBy.OPTION, compare=False)

    @property
    def campaign_file(self) -> Path:
        return self.root / CAMPAIGN_FILE

    @property
    def criteria_file(self) -> Path:
        return self.root / CRITERIA_FILE

    @property
    def manifest_file(self) -> Path:
        return self.root / MANIFEST_FILE

    @property
    def apks_dir(self) -> Path:
        return self.root / "apks"

    @property
    def inventory_file(self) -> Path:
        return self.root / INVENTORY_FILE

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def outputs_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def initialised(self) -> bool:
        return self.campaign_file.is_file()


def find_folder(explicit: Path | str | None = None, cwd: Path | None = None) -> CampaignFolder:
    """``explicit`` (``--campaign``), else ``$TRAOMAY_CAMPAIGN``, else the current folder when
    it holds a campaign.yaml, else the per-user data folder."""
    if explicit:
        return CampaignFolder(Path(explicit).expanduser().absolute(), ChosenBy.OPTION)
    env = os.environ.get("TRAOMAY_CAMPAIGN", "").strip()
    if env:
        return CampaignFolder(Path(env).expanduser().absolute(), ChosenBy.ENVIRONMENT)
    here = cwd or Path.cwd()
    if (here / CAMPAIGN_FILE).is_file():
        return CampaignFolder(here.absolute(), ChosenBy.CURRENT)
    return CampaignFolder(default_folder(), ChosenBy.DEFAULT)


def init_folder(folder: CampaignFolder, station: str | None = None) -> dict[str, bool]:
    """Make ``folder`` a campaign folder: copy the templates (campaign.yaml, criteria.yaml,
    apk_manifest.yaml) that are not there yet and make ``apks/``. Never overwrites a file.

    ``station`` is written into the new campaign.yaml as this station's name. Returns each
    file name (and ``apks/``) with True when it was created now, False when it was already
    there. The campaign key is made by the inventory (opening it once); see
    ``traomay init``. Raises OSError when the folder cannot be written."""
    made: dict[str, bool] = {}
    folder.root.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATE_FILES:
        target = folder.root / name
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        if name == CAMPAIGN_FILE and station and station.strip():
            text = with_station(text, station.strip())
        try:
            # "x": create only; a file that appeared meanwhile is kept, never overwritten.
            with target.open("x", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            made[name] = True
        except FileExistsError:
            made[name] = False
    made["apks/"] = not folder.apks_dir.is_dir()
    folder.apks_dir.mkdir(exist_ok=True)
    return made


def with_station(campaign_text: str, station: str) -> str:
    """campaign.yaml's text with ``campaign.station`` set to ``station`` (comments kept)."""
    quoted = json.dumps(station[:200], ensure_ascii=False)  # a JSON string is valid YAML
    return re.sub(r"(?m)^(  station:).*$", lambda m: f"{m.group(1)} {quoted}", campaign_text,
                  count=1)


def copy_template(name: str, target: Path) -> None:
    """Copy one shipped template (``criteria.yaml``, ``apk_manifest.yaml``, ...) to
    ``target``, replacing it (for folders the program owns, such as the demo's)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / name, target)


# -- campaign.yaml ----------------------------------------------------------------------------
@dataclass(frozen=True)
class DonorUnit:
    name: str
    quota: int


@dataclass(frozen=True)
class Campaign:
    name: str
    organiser: str
    station: str
    report_to: str = ""
    donor_units: tuple[DonorUnit, ...] = ()
    allocation: Mapping[str, Any] = field(default_factory=dict)  # read by the allocation rules
    path: Path | None = None

    def unit(self, name: str) -> DonorUnit | None:
        wanted = name.strip().casefold()
        return next((u for u in self.donor_units if u.name.casefold() == wanted), None)


_TOP = ("schema", "campaign", "donor_units", "allocation")
_CAMPAIGN_KEYS = ("name", "organiser", "station", "report_to")


def _refuse(path: Path, msgid: str, **args: Any) -> BadInputError:
    return BadInputError(Msg(msgid, {"file": str(path), **args}))


def load_campaign(path: Path) -> Campaign:
    """Read campaign.yaml strictly: every problem is a BadInputError naming the file and
    the key (exit 5)."""
    try:
        data = load_strict(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInputError(Msg("Cannot read {file}.", {"file": str(path)}),
                            detail=str(exc)) from None
    except Exception as exc:  # YAML syntax, duplicate key, not UTF-8
        raise BadInputError(Msg("{file} is not valid YAML: {problem}",
                                {"file": str(path), "problem": str(exc).splitlines()[0]}),
                            detail=str(exc)) from None
    if not isinstance(data, Mapping):
        raise _refuse(path, "In {file}: the file must have 'schema: 1', 'campaign:' and "
                      "'donor_units:'.")
    for key in data:
        if key not in _TOP:
            raise _refuse(path, "In {file}: '{key}' is not a known setting; check the "
                          "spelling.", key=str(key))
    if data.get("schema") != SCHEMA:
        raise _refuse(path, "In {file}: schema must be {expected}.", expected=SCHEMA)
    info = data.get("campaign")
    if not isinstance(info, Mapping):
        raise _refuse(path, "In {file}: 'campaign:' must list name, organiser and station.")
    for key in info:
        if key not in _CAMPAIGN_KEYS:
            raise _refuse(path, "In {file}: 'campaign.{key}' is not a known setting; check "
                          "the spelling.",
                      key=str(key))
    values = {}
    for key in _CAMPAIGN_KEYS:
        value = info.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str) or len(value) > 200:
            raise _refuse(path, "In {file}: 'campaign.{key}' must be text (at most 200 "
                          "characters).", key=key)
        values[key] = value.strip()
    for key in ("name", "organiser", "station"):
        if not values[key]:
            raise _refuse(path, "In {file}: 'campaign.{key}' is missing.", key=key)
    units = []
    for index, raw in enumerate(data.get("donor_units") or [], start=1):
        if not isinstance(raw, Mapping) or set(raw) - {"name", "quota"}:
            raise _refuse(path, "In {file}: donor unit {index} must be {{name: ..., quota: "
                          "N}}.", index=index)
        name, quota = raw.get("name"), raw.get("quota", 0)
        if not isinstance(name, str) or not name.strip():
            raise _refuse(path, "In {file}: donor unit {index} has no name.", index=index)
        if isinstance(quota, bool) or not isinstance(quota, int) or not 0 <= quota <= 100000:
            raise _refuse(path, "In {file}: donor unit {index} ({name}): the quota must be a "
                          "whole number.",
                      index=index, name=name)
        if any(u.name.casefold() == name.strip().casefold() for u in units):
            raise _refuse(path, "In {file}: donor unit {name} is listed twice.", name=name)
        units.append(DonorUnit(name.strip(), quota))
    allocation = data.get("allocation") or {}
    if not isinstance(allocation, Mapping):
        raise _refuse(path, "In {file}: 'allocation:' must be a section of settings.")
    return Campaign(values["name"], values["organiser"], values["station"],
                    values["report_to"], tuple(units), dict(allocation), path)
