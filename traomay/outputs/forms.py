"""What every form shares: the language it is written in, Vietnam's time, the header with
the campaign and the national motto, and where files go."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from traomay.core.campaign import Campaign
from traomay.core.i18n import render_in
from traomay.core.msg import Msg
from traomay.core.safe_text import for_terminal

# Forms are Vietnamese documents; the library can write them in English for tests and
# foreign partners, but the commands always write Vietnamese.
FORM_LANGUAGE = "vi"
VN_TZ = timezone(timedelta(hours=7), "ICT")  # Vietnam: UTC+7, no summer time


def tr(msgid: str, lang: str = FORM_LANGUAGE, /, **args: Any) -> str:
    """``msgid`` translated into ``lang`` with its arguments (device text made safe)."""
    safe = {k: v if isinstance(v, (int, float)) else for_terminal(v, 400)
            for k, v in args.items()}
    return render_in(Msg(msgid, safe), lang)


def parse_time(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        value = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def vn_datetime(iso: str | None) -> str:
    """"21/06/2024 10:15" in Vietnam's time; "" when unknown."""
    value = parse_time(iso)
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if value else ""


def vn_date(iso: str | None) -> str:
    value = parse_time(iso)
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y") if value else ""


def header_blocks(campaign: Campaign | None, form: str,
                  lang: str = FORM_LANGUAGE) -> tuple[list[str], list[str]]:
    """Left: the organiser and the campaign; right: the national motto and the form."""
    left = [campaign.organiser.upper(), campaign.name] if campaign else ["", ""]
    right = [tr("SOCIALIST REPUBLIC OF VIET NAM", lang),
             tr("Independence - Freedom - Happiness", lang)]
    if form:
        right.append(form)
    return [x for x in left if x], right


def phone_title(device: dict[str, Any]) -> str:
    """"samsung Galaxy A10 (SM-A105F)" from a devices row (untrusted text)."""
    brand = str(device.get("brand") or "")
    name = str(device.get("marketing_name") or device.get("model") or "")
    model = str(device.get("model") or "")
    title = name if brand and name.lower().startswith(brand.lower()) else f"{brand} {name}"
    if model and model not in title:
        title += f" ({model})"
    return for_terminal(title.strip(), 120)


def out_file(folder: Path, name: str) -> Path:
    """``folder/name``; the folder is created."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
