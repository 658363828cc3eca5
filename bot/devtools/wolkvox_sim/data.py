"""Deterministic demo data for the Wolkvox simulator: campaigns, Colombian customers, records.

Everything is generated from fixed seeds relative to `REFERENCE_TIME`, so the demo, the tests and
the benchmarks see the same customers, phones and dates on every run and every machine. Records are
plain JSON-ready dicts in Wolkvox's documented `find_record` shape (every value a string), except
the deliberately odd ones documented in `bot.devtools.wolkvox_sim.server`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.wolkvox.records import EXPORT_COLUMNS

JsonRecord = dict[str, object]

REFERENCE_TIME: Final = datetime(2026, 1, 19, 9, 30, 0)  # the demo data's fixed "now"
DATE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_UNIX_EPOCH: Final = datetime(1970, 1, 1)
_BOGOTA_OFFSET_S: Final = 5 * 3600

TEL_FIELDS: Final = tuple(f"tel{i}" for i in range(1, 11))
OPT_FIELDS: Final = tuple(f"opt{i}" for i in range(1, 13))
# A record's fields in the order Wolkvox's own samples send them: the documented fields
# (bot.wolkvox.records.EXPORT_COLUMNS, which lists opt before tel) with the phones first.
_WHO = EXPORT_COLUMNS[: EXPORT_COLUMNS.index("opt1")]
_CALL = EXPORT_COLUMNS[EXPORT_COLUMNS.index("date") :]
RECORD_FIELDS: Final = (*_WHO, *TEL_FIELDS, *OPT_FIELDS, *_CALL)

# Phones and ids with a story; the simulator's docstring lists what each one shows.
SHOWCASE_PHONE: Final = "3001234567"
SHOWCASE_CUSTOMER_ID: Final = "1020304050"
SHARED_PHONE: Final = "3104567890"  # tel1 of one customer, tel3 of another
INT_CODE_PHONE: Final = "3000000200"
MARKUP_PHONE: Final = "3000000666"
ODD_FIELDS_PHONE: Final = "3000000777"
BIG_PHONE: Final = "3000060000"


@dataclass(frozen=True, slots=True)
class DemoCampaign:
    """A campaign as `information.php?api=campaigns` lists it, plus its own result text."""

    campaign_id: str
    name: str
    description: str
    type_campaign: str  # predictive / preview
    status: str  # Started / Stopped
    speed: str
    dial_mode: str
    recycled: str
    turbo_dial: str
    skill_id: str
    codification: str  # the operation's own result text used in this campaign

    def as_json(self, records: int, last_use: str) -> JsonRecord:
        """The item shape of `information.php?api=campaigns` (all values as text)."""
        return {
            "campaign_id": self.campaign_id,
            "campaign_name": self.name,
            "campaign_description": self.description,
            "type_campaign": self.type_campaign,
            "status": self.status,
            "records": str(records),
            "speed": self.speed,
            "dial_mode": self.dial_mode,
            "last_use": last_use,
            "recycled": self.recycled,
            "turbo_dial": self.turbo_dial,
            "skill_id": self.skill_id,
        }


CAMPAIGNS: Final = (
    DemoCampaign(
        "42",
        "Cobranza Q4",
        "Recuperación de cartera vencida del cuarto trimestre",
        "predictive",
        "Started",
        "1.8",
        "predictive",
        "2",
        "yes",
        "1001",
        "Promesa de pago",
    ),
    DemoCampaign(
        "57",
        "Ventas Hogar",
        "Venta cruzada de internet y TV para hogares",
        "preview",
        "Started",
        "1",
        "preview",
        "0",
        "no",
        "1002",
        "Venta cerrada",
    ),
    DemoCampaign(
        "63",
        "Retención Móvil",
        "Clientes pospago con solicitud de portabilidad",
        "predictive",
        "Started",
        "1.5",
        "progressive",
        "1",
        "no",
        "1003",
        "Cliente retenido",
    ),
    DemoCampaign(
        "78",
        "Encuesta NPS",
        "Encuesta de satisfacción posterior a la atención",
        "predictive",
        "Stopped",
        "2",
        "predictive",
        "3",
        "yes",
        "1004",
        "Encuesta completa",
    ),
    DemoCampaign(
        "91",
        "Soporte Técnico",
        "Seguimiento a casos de soporte abiertos",
        "preview",
        "Started",
        "1",
        "preview",
        "0",
        "no",
        "1005",
        "Caso resuelto",
    ),
)
CAMPAIGN_IDS: Final = tuple(c.campaign_id for c in CAMPAIGNS)

_FIRST_NAMES: Final = (
    "Juan Carlos", "María Fernanda", "Andrés Felipe", "Luisa", "Carlos Andrés", "Diana Marcela",
    "Jorge Eliécer", "Paola Andrea", "Santiago", "Valentina", "Alejandro", "Camila",
    "Luis Fernando", "Natalia", "Julián", "Sandra Milena", "Óscar", "Ángela María",
    "Sebastián", "Laura Daniela", "Jhon Jairo", "Yuliana", "Mauricio", "Gloria Inés",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Rodríguez", "Gómez", "González", "Martínez", "García", "López", "Hernández", "Sánchez",
    "Ramírez", "Pérez", "Díaz", "Muñoz", "Rojas", "Moreno", "Jiménez", "Vargas", "Castro",
    "Restrepo", "Ospina", "Cardona", "Londoño", "Zapata", "Quintero", "Agudelo", "Ríos",
)  # fmt: skip
# city → (state, landline prefix, zones)
_CITIES: Final = {
    "Bogotá": (
        "Bogotá D.C.",
        "601",
        ("Chapinero", "Usaquén", "Suba", "Kennedy", "Teusaquillo", "Engativá", "Fontibón"),
    ),
    "Medellín": (
        "Antioquia",
        "604",
        ("El Poblado", "Laureles", "Belén", "Robledo", "Buenos Aires", "La América"),
    ),
    "Cali": (
        "Valle del Cauca",
        "602",
        ("San Fernando", "Granada", "Ciudad Jardín", "El Ingenio", "Santa Mónica"),
    ),
}
_STREETS: Final = ("Calle", "Carrera", "Avenida Calle", "Transversal", "Diagonal", "Avenida")
_MOBILE_PREFIXES: Final = (
    "300", "301", "302", "304", "305", "310", "311", "312", "313", "314", "315", "316",
    "317", "318", "320", "321", "322", "323", "350",
)  # fmt: skip
# Weighted pool of results: the documented lower-case values, one in capitals, and per-campaign
# codification text appended per campaign.
_RESULTS: Final = (
    "answer", "answer", "answer", "no-answer", "no-answer", "ANSWER", "busy", "abandon",
    "answer-machine", "failed", "congestion",
)  # fmt: skip

_CAMPAIGN_OPTS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "42": (
        ("Tarjeta de crédito", "Crédito de libre inversión", "Crédito vehicular"),
        ("$ 1.250.000", "$ 480.300", "$ 3.912.000", "$ 725.000"),
        ("30", "45", "60", "90"),
    ),
    "57": (
        ("Internet 300 Mbps + TV", "Internet 500 Mbps", "Triple play"),
        ("Estrato 2", "Estrato 3", "Estrato 4"),
    ),
    "63": (
        ("Pospago 40 GB", "Pospago ilimitado", "Pospago 20 GB"),
        ("Portabilidad solicitada", "Queja por facturación", "Oferta de descuento"),
    ),
    "78": (
        ("10", "9", "8", "6", "3"),
        ("Muy buena atención", "Demoraron en contestar", "Sin comentarios"),
    ),
    "91": (
        ("TCK-2026-00123", "TCK-2026-00457", "TCK-2025-09981"),
        ("Sin servicio de internet", "Cambio de equipo", "Lentitud en la navegación"),
    ),
}

N_GENERATED_CUSTOMERS: Final = 240
_SEED: Final = 20260119


@dataclass(slots=True)
class _Customer:
    name: str
    last_name: str
    customer_id: str
    city: str
    zone: str
    address: str
    tels: list[str]


def _fmt(when: datetime) -> str:
    return when.strftime(DATE_FORMAT)


def _epoch(when: datetime) -> int:
    """Unix time of a naive Bogotá (UTC-5) time, independent of the machine's time zone."""
    return int((when - _UNIX_EPOCH).total_seconds()) + _BOGOTA_OFFSET_S


def _conn_id(when: datetime, seq: int) -> str:
    """Asterisk-style unique id (epoch.sequence): what a call id looks like on the platform."""
    return f"{_epoch(when)}.{seq}"


def _record(
    c: _Customer, campaign_id: str, when: datetime, result: str, calls: int, seq: int
) -> JsonRecord:
    state, _, _ = _CITIES[c.city]
    rec: JsonRecord = {
        "customer_name": c.name,
        "customer_last_name": c.last_name,
        "customer_id": c.customer_id,
        "country": "Colombia",
        "state": state,
        "city": c.city,
        "zone": c.zone,
        "address": c.address,
    }
    for i, field in enumerate(TEL_FIELDS):
        rec[field] = c.tels[i] if i < len(c.tels) else ""
    opts = _CAMPAIGN_OPTS.get(campaign_id, ())
    for i, field in enumerate(OPT_FIELDS):
        rec[field] = opts[i][seq % len(opts[i])] if i < len(opts) else ""
    rec["date"] = _fmt(when)
    rec["calls"] = str(calls)
    rec["conn_id"] = _conn_id(when, seq)
    rec["result"] = result
    rec["campaign_id"] = campaign_id
    return rec


def _showcase() -> tuple[list[_Customer], list[JsonRecord]]:
    """Hand-written customers whose stories the README and the tests rely on."""
    maria = _Customer(
        "María Fernanda",
        "Gómez Restrepo",
        SHOWCASE_CUSTOMER_ID,
        "Bogotá",
        "Chapinero",
        "Carrera 7 # 72-41 Apto 502",
        [SHOWCASE_PHONE, "6017654321"],
    )
    juan = _Customer(
        "Juan Carlos",
        "Pérez Ospina",
        "79845123",
        "Medellín",
        "Laureles",
        "Circular 4 # 70-12",
        [SHARED_PHONE, "6044441234"],
    )
    ana = _Customer(
        "Ana Lucía",
        "Pérez Cardona",
        "1036654321",
        "Medellín",
        "Laureles",
        "Circular 4 # 70-12 Casa 2",
        ["3157778899", "", SHARED_PHONE],
    )
    intcode = _Customer(
        "Héctor",
        "Quintero Ríos",
        "16789012",
        "Cali",
        "San Fernando",
        "Calle 5 # 38-20",
        [INT_CODE_PHONE],
    )

    def at(text: str) -> datetime:
        return datetime.strptime(text, DATE_FORMAT)

    records = [
        _record(maria, "42", at("2025-12-30 10:14:05"), "no-answer", 1, 11),
        _record(maria, "57", at("2026-01-09 16:02:41"), "ANSWER", 2, 12),
        _record(maria, "42", at("2026-01-10 08:47:19"), "busy", 2, 13),
        _record(maria, "78", at("2026-01-13 11:20:00"), "answer-machine", 1, 14),
        _record(maria, "42", at("2026-01-16 14:03:27"), "Promesa de pago", 4, 15),
        _record(maria, "78", at("2026-01-15 09:05:52"), "answer", 2, 16),
        _record(juan, "63", at("2026-01-16 17:31:08"), "Cliente retenido", 3, 21),
        _record(juan, "91", at("2026-01-04 12:00:45"), "abandon", 1, 22),
        _record(ana, "91", at("2026-01-18 10:44:13"), "answer", 1, 23),
        _record(intcode, "57", at("2026-01-14 15:16:17"), "answer", 1, 31),
        _record(intcode, "91", at("2026-01-07 09:58:02"), "no-answer", 2, 32),
    ]
    return [maria, juan, ana, intcode], records


def _generated(taken_phones: set[str], taken_ids: set[str]) -> Iterator[JsonRecord]:
    rng = random.Random(_SEED)
    seq = 1000
    for _ in range(N_GENERATED_CUSTOMERS):
        city = rng.choice(tuple(_CITIES))
        _, landline, zones = _CITIES[city]
        while True:
            cid = (
                str(rng.randint(1_000_000_000, 1_149_999_999))
                if rng.random() < 0.6
                else str(rng.randint(10_000_000, 99_999_999))
            )
            if cid not in taken_ids:
                taken_ids.add(cid)
                break
        tels: list[str] = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            while True:
                phone = rng.choice(_MOBILE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
                if phone not in taken_phones and not phone.startswith("30000"):
                    taken_phones.add(phone)
                    tels.append(phone)
                    break
        if rng.random() < 0.4:
            tels.insert(1, landline + f"{rng.randint(2_000_000, 7_999_999)}")
        street = rng.choice(_STREETS)
        address = f"{street} {rng.randint(1, 180)} # {rng.randint(1, 120)}-{rng.randint(1, 99)}"
        if rng.random() < 0.3:
            address += f" Apto {rng.randint(1, 20)}{rng.randint(0, 1)}{rng.randint(1, 4)}"
        customer = _Customer(
            rng.choice(_FIRST_NAMES),
            f"{rng.choice(_LAST_NAMES)} {rng.choice(_LAST_NAMES)}",
            cid,
            city,
            rng.choice(zones),
            address,
            tels,
        )
        by_id = {c.campaign_id: c for c in CAMPAIGNS}
        for campaign_id in rng.sample(CAMPAIGN_IDS, rng.randint(1, 4)):
            for _ in range(rng.randint(1, 3)):
                seq += 1
                when = REFERENCE_TIME - timedelta(
                    days=rng.randint(0, 41), hours=rng.randint(0, 12), minutes=rng.randint(0, 59)
                )
                when = when.replace(hour=max(7, min(when.hour, 20)), second=rng.randint(0, 59))
                if when > REFERENCE_TIME:  # clamped into the evening of the reference day
                    when -= timedelta(days=1)
                result = (
                    by_id[campaign_id].codification if rng.random() < 0.15 else rng.choice(_RESULTS)
                )
                yield _record(customer, campaign_id, when, result, rng.randint(1, 9), seq)


def _markup_record() -> JsonRecord:
    """A record full of Slack markup, HTML and huge text: what escaping must survive."""
    long_name = ("Ñandú 🦜 <!channel> *negrita* _itálica_ ~tachado~ `código` &amp; ") * 100
    return {
        "customer_name": long_name[:5000],
        "customer_last_name": "<https://evil.example/phish|haz clic aquí> <@U0123ABCD> <#C0123>",
        "customer_id": "666000666",
        "country": "Colombia",
        "state": "<!here>",
        "city": "Bogotá & <b>Cundinamarca</b>",
        "zone": "> cita\n• viñeta\n```bloque```",
        "address": "Calle 1 # 2-3 <script>alert('x')</script> &lt;&gt;" + "🏠" * 50,
        **{field: "" for field in TEL_FIELDS},
        "tel1": MARKUP_PHONE,
        "tel2": "<tel:+573000000666|llámame>",
        **{
            field: f"<!subteam^S0123|equipo> *opt{i}* &amp;"
            for i, field in enumerate(OPT_FIELDS, 1)
        },
        "date": _fmt(REFERENCE_TIME - timedelta(days=1, hours=2)),
        "calls": "3",
        "conn_id": "<!everyone>",
        "result": "*Promesa* de pago <!channel> 💸",
        "campaign_id": "42",
    }


def _odd_records() -> list[JsonRecord]:
    """Records with undocumented extra fields, ints, floats, booleans and nulls, and odd dates."""
    first: JsonRecord = {
        **{field: "" for field in RECORD_FIELDS},
        "customer_name": "Rosa Elvira",
        "customer_last_name": "Agudelo Zapata",
        "customer_id": 43123987,  # int where a string is documented
        "country": "Colombia",
        "state": "Antioquia",
        "city": "Medellín",
        "zone": None,
        "address": "Carrera 43A # 1-50",
        "tel1": ODD_FIELDS_PHONE,
        "tel2": None,
        "opt1": 12,
        "opt2": None,
        "date": _fmt(REFERENCE_TIME - timedelta(days=3, hours=1)),
        "calls": 4,  # int where a string is documented
        "conn_id": 1705423011.77,
        "result": "answer",
        "campaign_id": 63,
        "agent_id": "1001",  # undocumented extras from here on
        "score": 9.5,
        "vip": True,
        "notes": None,
        "skill": 1003,
    }
    second: JsonRecord = {
        **first,
        "customer_id": "43123987",
        "date": "2026-01-10-15",  # the seed page's "año-mes-día-Hora"
        "calls": None,
        "conn_id": None,
        "result": "unknown",
        "campaign_id": "91",
        "vip": False,
    }
    third: JsonRecord = {
        **first,
        "customer_id": "43123987",
        "date": "ayer en la tarde",  # unparseable: shown raw
        "calls": "",
        "result": "Volver a llamar",
        "campaign_id": "78",
    }
    return [first, second, third]


@dataclass(frozen=True, slots=True)
class DemoData:
    """All demo records plus the indexes the simulator searches."""

    records: tuple[JsonRecord, ...]
    by_phone: dict[str, tuple[int, ...]]  # any tel1..tel10 → record positions
    by_customer_id: dict[str, tuple[int, ...]]
    int_code_customer_ids: frozenset[str]  # answers about these come with `"code": 200` (an int)

    def campaign_items(self) -> list[JsonRecord]:
        """Items of `information.php?api=campaigns`; record counts and last use from the data."""
        counts: dict[str, int] = {}
        last: dict[str, str] = {}
        for rec in self.records:
            cid = str(rec["campaign_id"])
            counts[cid] = counts.get(cid, 0) + 1
            date = str(rec["date"])
            if date[:4].isdigit() and date > last.get(cid, ""):
                last[cid] = date
        return [
            c.as_json(counts.get(c.campaign_id, 0), last.get(c.campaign_id, "")) for c in CAMPAIGNS
        ]


def build_demo_data() -> DemoData:
    """Build the full, deterministic data set (a few ms; the simulator builds it once)."""
    customers, records = _showcase()
    records.append(_markup_record())
    records.extend(_odd_records())
    taken_phones = {t for c in customers for t in c.tels if t}
    taken_ids = {c.customer_id for c in customers}
    generated = list(_generated(taken_phones, taken_ids))
    records.extend(generated)

    by_phone: dict[str, list[int]] = {}
    by_id: dict[str, list[int]] = {}
    for pos, rec in enumerate(records):
        for field in TEL_FIELDS:
            tel = rec.get(field)
            if tel:
                positions = by_phone.setdefault(str(tel), [])
                if not positions or positions[-1] != pos:
                    positions.append(pos)
        cid = rec.get("customer_id")
        if cid is not None and cid != "":
            by_id.setdefault(str(cid), []).append(pos)
    # "Some answers" carry the code as an int: the documented number's customer and every
    # tenth generated customer (deterministic, so a client sees both forms in ordinary use).
    generated_ids = list(dict.fromkeys(str(r["customer_id"]) for r in generated))
    int_ids = frozenset({"16789012", *generated_ids[3::10]})
    return DemoData(
        records=tuple(records),
        by_phone={k: tuple(v) for k, v in by_phone.items()},
        by_customer_id={k: tuple(v) for k, v in by_id.items()},
        int_code_customer_ids=int_ids,
    )


def big_answer_body(
    count: int,
    campaign_id: str = "",
    *,
    campaigns: int | None = None,
    seed: int = 0,
    undocumented: bool = False,
) -> bytes:
    """A big `find_record` body: `count` records of one customer (~600 B each; 60,000 is the
    documented per-call maximum, about 36 MB).

    The one builder behind the simulator's big answer, the decoder tests and the benchmarks.
    Records spread over the demo campaigns (only `campaign_id`'s when given; `campaigns` other
    ids when a test wants a given number), dates over the last six weeks in no order, results
    cycling through the documented values and two codifications; `seed` shuffles dates and
    results; `undocumented` adds ten fields the docs do not list (a decoder must keep them).
    Encoded as Wolkvox's PHP would (ASCII-escaped unicode, escaped slashes).
    """
    results = (*_RESULTS, "Promesa de pago", "Volver a llamar")
    if campaign_id:
        campaign_ids: tuple[str, ...] = (campaign_id,)
    elif campaigns is not None:
        campaign_ids = tuple(str(100 + 7 * i) for i in range(max(1, campaigns)))
    else:
        campaign_ids = CAMPAIGN_IDS
    opts = {cid: _CAMPAIGN_OPTS[cid] for cid in CAMPAIGN_IDS}
    head = {
        "customer_name": "Gran Cliente",
        "customer_last_name": "Empresarial S.A.S.",
        "customer_id": "900123456",
        "country": "Colombia",
        "state": "Bogotá D.C.",
        "city": "Bogotá",
        "zone": "Fontibón",
        "address": "Avenida Calle 26 # 92-32 Bodega 14",
        "tel1": BIG_PHONE,
        "tel2": "6014239000",
        **{field: "" for field in TEL_FIELDS[2:]},
    }
    base = REFERENCE_TIME
    shift = seed * 7_919
    encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
    head_text = encode(head)[:-1].replace("/", "\\/")  # without the closing brace
    # Built piecewise into one buffer: peak memory about twice the body, not five times.
    buf = bytearray(b'{"code":"200","error":null,"msg":"%d records were found","data":[' % count)
    for i in range(count):
        if campaign_ids is CAMPAIGN_IDS:
            cid = CAMPAIGN_IDS[(i * 7) % len(CAMPAIGN_IDS)]
        else:
            cid = campaign_ids[(i * 7 + seed) % len(campaign_ids)]
        copts = opts.get(cid, ())
        rest: dict[str, str] = {}
        for j, field in enumerate(OPT_FIELDS):
            rest[field] = copts[j][i % len(copts[j])] if j < len(copts) else ""
        rest["opt4"] = f"REF-{i:06d}"
        when = base - timedelta(seconds=(i * 60_013 + shift) % (42 * 86_400))
        rest["date"] = when.strftime(DATE_FORMAT)
        rest["calls"] = str(1 + i % 9)
        rest["conn_id"] = f"{_epoch(when)}.{i}"
        rest["result"] = results[(i + seed) % len(results)]
        rest["campaign_id"] = cid
        if undocumented:
            rest.update(_undocumented(i))
        item = head_text + "," + encode(rest)[1:].replace("/", "\\/")
        if i:
            buf += b","
        buf += item.encode("ascii")
    buf += b"]}"
    return bytes(buf)


def _undocumented(i: int) -> dict[str, str]:
    """Fields real operations add beyond the documented ones (numbered ids, routing, origin)."""
    return {
        "id_record": str(i + 1),
        "agent_id": str(i % 300),
        "skill_id": str(i % 40),
        "type_record": "",
        "last_update": "",
        "recycle": str(i % 4),
        "priority": "",
        "source": "api",
        "list_id": "",
        "status": "",
    }
