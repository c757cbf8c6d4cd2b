"""Import buyers (进口订购人): Chinese names, resident ID numbers (GB 11643-1999) allocated without
repeats, mobile numbers, addresses by district, and the buyer's shopping habits. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random

from cbec.generate.basics import (
    GenerateOptions,
    Weighted,
    json_text,
    ric_check,
)

# --- import: people --------------------------------------------------------------------------

#: Real 6-digit administrative division codes (GB/T 2260) with the year each was created, so a
#: birth date never precedes its birthplace's code (python-stdnum's cn.ric checks that), and the
#: address prefix of each.
REGIONS: tuple[tuple[str, int, str], ...] = (
    ("110101", 0, "北京市东城区"),
    ("110105", 0, "北京市朝阳区"),
    ("310104", 0, "上海市徐汇区"),
    ("310115", 1992, "上海市浦东新区"),
    ("120101", 0, "天津市和平区"),
    ("500103", 1997, "重庆市渝中区"),
    ("440305", 1990, "广东省深圳市南山区"),
    ("440106", 1985, "广东省广州市天河区"),
    ("330782", 1989, "浙江省金华市义乌市"),
    ("330106", 1983, "浙江省杭州市西湖区"),
    ("320106", 1983, "江苏省南京市鼓楼区"),
    ("510107", 1990, "四川省成都市武侯区"),
    ("420106", 1983, "湖北省武汉市武昌区"),
    ("610113", 1983, "陕西省西安市雁塔区"),
    ("370202", 1983, "山东省青岛市市南区"),
    ("130102", 1983, "河北省石家庄市长安区"),
    ("410105", 1983, "河南省郑州市金水区"),
    ("430103", 1996, "湖南省长沙市天心区"),
    ("350203", 1983, "福建省厦门市思明区"),
    ("210102", 1983, "辽宁省沈阳市和平区"),
    ("230103", 1983, "黑龙江省哈尔滨市南岗区"),
)
#: Streets of the districts addresses are drawn in.
STREETS: dict[str, tuple[str, ...]] = {
    "110101": ("东直门内大街", "王府井大街", "安定门外大街"),
    "110105": ("建国路", "朝阳北路", "望京街"),
    "310104": ("漕溪北路", "肇嘉浜路", "天钥桥路"),
    "310115": ("张杨路", "世纪大道", "锦绣路"),
    "120101": ("南京路", "滨江道", "卫津路"),
    "500103": ("民族路", "中山三路", "解放碑步行街"),
    "440305": ("深南大道", "南海大道", "后海大道"),
    "440106": ("天河路", "体育西路", "中山大道"),
    "330782": ("稠州北路", "宾王路", "城中中路"),
    "330106": ("文三路", "天目山路", "教工路"),
    "320106": ("中山北路", "湖南路", "北京西路"),
    "510107": ("武侯祠大街", "科华北路", "人民南路四段"),
}
_PREFIX = {code: prefix for code, _, prefix in REGIONS}
_ADDRESS_DISTRICTS = Weighted([(code, 2.0 if code in {"310115", "110105", "440305"} else 1.0) for code in STREETS])
#: Common surnames, most frequent first (weighted by rank).
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN_MALE = "伟强磊军洋勇杰涛明超斌鹏辉刚浩宇俊帆凯鑫晨博文豪"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞婷雪琳颖倩洁悦欣怡佳璐萌雨欢月"
_SURNAMES = Weighted([(s, 1.0 / (rank + 4)) for rank, s in enumerate(SURNAMES)])
#: Mobile number segments in use (工业和信息化部 numbering plan): 1[3-9]x.
MOBILE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159"),
    *("166", "171", "173", "175", "176", "177", "178"),
    *(f"18{d}" for d in range(10)),
    *("191", "198", "199"),
)
#: Ages of cross-border shoppers (an assumption): mostly 25–44.
AGES = Weighted([(age, 15 if age < 25 else 40 if age < 35 else 28 if age < 45 else 12 if age < 55 else 5) for age in range(18, 66)])  # fmt: skip


class IdentityAllocator:
    """Resident ID numbers that never repeat within a run, in constant memory.

    For each birth year, the k-th number is (k·P + offset) mod M decoded into (region, day of
    the year, sequence 001–999): P is a prime that divides no M, so k ↦ number is one-to-one
    while fewer than M people share a birth year (M = regions valid that year × 365 × 999, over
    seven million).
    """

    _P = 1_000_003

    def __init__(self, seed: int) -> None:
        self.offset = seed * 7_919
        self.next_k: dict[int, int] = {}
        self.years: dict[int, tuple[list[str], list[str]]] = {}

    def allocate(self, year: int) -> tuple[str, str, int]:
        """(region, birth date YYYYMMDD, sequence) of the next person born in ``year``."""
        known = self.years.get(year)
        if known is None:
            regions = [code for code, since, _ in REGIONS if year >= since]
            first = date(year, 1, 1)
            known = self.years[year] = (regions, [f"{first + timedelta(days=d):%Y%m%d}" for d in range(365)])
        regions, days = known
        k = self.next_k.get(year, 0)
        self.next_k[year] = k + 1
        code = (k * self._P + self.offset) % (len(regions) * 365 * 999)
        code, region = divmod(code, len(regions))
        sequence, day = divmod(code, 365)
        return regions[region], days[day], sequence + 1


@dataclass(slots=True)
class Person:
    name: str
    id_number: str
    phone: str
    is_male: bool


def new_person(rng: Random, ids: IdentityAllocator, start_year: int, *, is_male: bool | None = None) -> Person:
    """Someone at least 18 on every day of ``start_year``, with a name of the sex the ID says."""
    random = rng.random
    year = start_year - AGES.draw(rng) - 1
    region, birth, sequence = ids.allocate(year)
    while is_male is not None and (sequence % 2 == 1) != is_male:
        # the sequence's parity is the sex (GB 11643-1999): when a sex is asked for, numbers of
        # the other are passed over (about one in two; a passed number is never given out)
        region, birth, sequence = ids.allocate(year)
    male = sequence % 2 == 1
    given = GIVEN_MALE if male else GIVEN_FEMALE
    name = _SURNAMES.draw(rng) + given[int(random() * len(given))]
    if random() < 0.7:
        name += given[int(random() * len(given))]
    body = f"{region}{birth}{sequence:03d}"
    phone = f"{MOBILE_PREFIXES[int(random() * len(MOBILE_PREFIXES))]}{int(random() * 10**8):08d}"
    return Person(name, body + ric_check(body), phone, male)


@dataclass(slots=True)
class Buyer:
    """A registered buyer of the platform and what it has bought so far, by calendar year."""

    number: int
    reg_no: str
    person: Person
    consignee: Person
    address: str
    is_heavy: bool  # buys until over the annual limit, then a few orders more
    planned: int  # orders a normal buyer means to place
    extra_after_limit: int  # orders a heavy buyer places after the one that crossed the limit
    orders: int = 0
    beyond_limit: int = 0  # orders placed with the year's total over the limit
    year_totals: dict[int, int] = field(default_factory=dict)
    order_json: str = ""  # JSON members of the order head (buyer and consignee), made once
    consignee_json: str = ""

    @property
    def over_limit(self) -> bool:
        return self.beyond_limit > 0

    @property
    def is_done(self) -> bool:
        if self.is_heavy:
            return self.beyond_limit > self.extra_after_limit
        return self.orders >= self.planned


def consignee_json(consignee: Person, address: str, phone: str | None = None) -> str:
    return (
        f'"consignee":{json_text(consignee.name)},"consigneeTelephone":"{phone or consignee.phone}",'
        f'"consigneeAddress":{json_text(address)}'
    )


def new_buyer(rng: Random, ids: IdentityAllocator, number: int, options: GenerateOptions) -> Buyer:
    random = rng.random
    person = new_person(rng, ids, options.start.year)
    # most parcels go to the buyer; some to a family member at the same address
    consignee = person if random() < 0.85 else new_person(rng, ids, options.start.year)
    district = _ADDRESS_DISTRICTS.draw(rng)
    streets = STREETS[district]
    address = (
        f"{_PREFIX[district]}{streets[int(random() * len(streets))]}{1 + int(random() * 1999)}号"
        f"{1 + int(random() * 29)}栋{1 + int(random() * 5)}单元{1 + int(random() * 32)}{1 + int(random() * 4):02d}室"
    )
    is_heavy = random() < options.over_quota_share
    planned = 1
    while planned < 8 and random() < 0.45:
        planned += 1
    reg_no = f"U{options.tag}{number:08d}"
    consignee_fields = consignee_json(consignee, address)
    return Buyer(
        number=number,
        reg_no=reg_no,
        person=person,
        consignee=consignee,
        address=address,
        is_heavy=is_heavy,
        planned=planned,
        extra_after_limit=int(random() * 4) if is_heavy else 0,
        order_json=(
            f'"buyerRegNo":"{reg_no}","buyerName":{json_text(person.name)},"buyerTelephone":"{person.phone}",'
            f'"buyerIdType":"1","buyerIdNumber":"{person.id_number}",{consignee_fields},'
            f'"consigneeDistrict":"{district}"'
        ),
        consignee_json=consignee_fields,
    )
