"""Believable `find_record` answer bodies, for tests and benchmarks (deterministic per seed).

A 60,000-record body is about 36 MB: the documented per-call maximum, used to prove the
decoder stays fast and lean on the largest answer Wolkvox may send.
"""

from __future__ import annotations

import random

import msgspec

_FIRST = (
    "Juan", "María", "Carlos", "Luisa", "Andrés", "Valentina", "Jorge", "Camila", "Diego",
    "Paula", "Santiago", "Daniela", "Felipe", "Natalia", "Alejandro", "Laura",
)  # fmt: skip
_LAST = (
    "Gómez", "Rodríguez", "Martínez", "López", "García", "Hernández", "Pérez", "Díaz",
    "Ramírez", "Torres", "Castro", "Moreno", "Rojas", "Vargas", "Ortiz", "Jiménez",
)  # fmt: skip
_CITIES = (
    ("Cundinamarca", "Bogotá"), ("Antioquia", "Medellín"), ("Valle del Cauca", "Cali"),
    ("Atlántico", "Barranquilla"), ("Bolívar", "Cartagena"), ("Santander", "Bucaramanga"),
)  # fmt: skip
_RESULTS = (
    "answer", "answer", "answer", "no-answer", "no-answer", "answer-machine", "busy",
    "abandon", "failed", "congestion", "do-not-call", "ANSWER", "Promesa de pago",
)  # fmt: skip


def make_find_record_body(n: int, campaigns: int = 5, seed: int = 0) -> bytes:
    """A 200 `find_record` body with `n` records spread over `campaigns` campaigns.

    Every documented field is present as a string (tel1–tel10, opt1–opt12, address fields)
    plus ten undocumented ones: 45 fields, about 600 bytes per record. Dates are
    `YYYY-MM-DD HH:MM:SS` in 2025–2026, in no particular order.
    """
    rng = random.Random(seed)
    campaign_ids = [str(100 + 7 * i) for i in range(max(1, campaigns))]
    customer_id = str(rng.randrange(10_000_000, 1_999_999_999))
    first, last = rng.choice(_FIRST), f"{rng.choice(_LAST)} {rng.choice(_LAST)}"
    state, city = rng.choice(_CITIES)
    phone = f"3{rng.randrange(0, 10**9):09d}"
    landline = f"60{rng.randrange(10**7, 10**8)}"
    n_campaigns, n_results = len(campaign_ids), len(_RESULTS)
    records = []
    for i in range(n):
        bits = rng.getrandbits(64)  # one draw per record: the generator stays quick
        seconds = bits % (730 * 86_400)
        days, rest = divmod(seconds, 86_400)
        year, doy = (2025, days) if days < 365 else (2026, days - 365)
        month, day = _month_day(doy)
        hh, rest = divmod(rest, 3600)
        mm, ss = divmod(rest, 60)
        bits >>= 26
        records.append(
            {
                "customer_name": first,
                "customer_last_name": last,
                "customer_id": customer_id,
                "country": "CO",
                "state": state,
                "city": city,
                "zone": "",
                "address": "",
                "opt1": str(bits % 1_000_000),
                "opt2": "",
                "opt3": "",
                "opt4": "",
                "opt5": "",
                "opt6": "",
                "opt7": "",
                "opt8": "",
                "opt9": "",
                "opt10": "",
                "opt11": "",
                "opt12": "",
                "tel1": phone,
                "tel2": landline if i % 3 == 0 else "",
                "tel3": "",
                "tel4": "",
                "tel5": "",
                "tel6": "",
                "tel7": "",
                "tel8": "",
                "tel9": "",
                "tel10": "",
                "date": f"{year:04d}-{month:02d}-{day:02d} {hh:02d}:{mm:02d}:{ss:02d}",
                "calls": str(bits % 12),
                "conn_id": f"{bits % 100_000_000:08d}{i:06d}",
                "result": _RESULTS[(bits >> 8) % n_results],
                "campaign_id": campaign_ids[(bits >> 16) % n_campaigns],
                "id_record": str(i + 1),
                "agent_id": str((bits >> 20) % 300),
                "skill_id": str((bits >> 24) % 40),
                "type_record": "",
                "last_update": "",
                "recycle": str((bits >> 28) % 4),
                "priority": "",
                "source": "api",
                "list_id": "",
                "status": "",
            }
        )
    return msgspec.json.encode(
        {"code": "200", "error": None, "msg": f"{n} records were found", "data": records}
    )


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 2025 and 2026 are not leap


def _month_day(day_of_year: int) -> tuple[int, int]:
    for month, days in enumerate(_MONTH_DAYS, start=1):
        if day_of_year < days:
            return month, day_of_year + 1
        day_of_year -= days
    return 12, 31
