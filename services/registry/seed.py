"""Seed data for the registry: the areas, facilities, elders and assessments of two real places.

Fushun city (抚顺市, 2104) and Enyang district of Bazhong (巴中市恩阳区, 511903), built to the
figures of the seed documents (docs/seed-data.md gives each figure's source and the rounding
rules). Pure and deterministic: ``build_seed`` returns plain JSON-able command payloads in an
order the registry accepts (areas parent-first, facilities, admissions, elders, assessments) and
does no I/O. People and beds are divided by ``scale``; small facility counts are kept real.
"""
from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from services.registry.domain import elders as elder_rules, facilities as facility_rules, identity
from services.registry.domain.elders import age_on

# The registry's own vocabularies: the seed is built from them, never from a copy.
FACILITY_KINDS = facility_rules.KINDS
COMMUNITY_KINDS = facility_rules.COMMUNITY_KINDS  # coverage (社区养老服务设施覆盖率) counts these
SERVICES = facility_rules.SERVICES
SIX_AIDS = ("meals", "medical", "cleaning", "bathing", "recreation", "mobility")  # 六助
HOUSEHOLD = elder_rules.HOUSEHOLD
SEED_NAMESPACE = uuid.UUID("6434c516-b8fd-565d-9c5a-4c698e27b809")  # uuid5(URL, eldernet seed)
MIN_BEDS_PER_HOME = 4  # a nursing home keeps at least this many beds when the scale shrinks it


@dataclass(frozen=True)
class Place:
    """A place the seed documents describe, with its figures (real unless the docs say assumed)."""
    province: str
    city: tuple[str, str]
    # (code, name, towns): towns as "name+count" words; "name+count:a,b" names the first communities.
    districts: tuple[tuple[str, str, str], ...]
    described: str                       # the area the figures are about
    aged_60: int
    aged_80: int                         # includes the centenarians
    centenarians: int
    beds: int                            # institutional beds (nursing homes + medical-care units)
    residents: int
    nursing_bed_share: float             # assumed: nursing-type (护理型) share of those beds
    nursing_homes: int                   # assumed: homes at scale 1
    community: tuple[tuple[str, int, int, float], ...]  # kind, urban, rural, chance to co-locate
    medical_units: int = 0
    medical_beds: int = 0
    home_care_beds: int = 0
    urban_weight: float = 1.5            # elders in a community relative to a village
    surnames: str = ""                   # local surnames added to the common ones
    home_ownership: tuple[tuple[str, int], ...] = (("public", 30), ("private", 50),
                                                   ("public_built_private_run", 15), ("private_with_public_aid", 5))
    targets: tuple[tuple[str, float], ...] = ()  # real, unscaled figures from the seed documents
    other_district_ids: float = 0.1      # elders whose ID was issued in another district


FUSHUN = Place(
    "辽宁省", ("2104", "抚顺市"), (
        ("210402", "新抚区", "新抚街道8 站前街道7 福民街道9 东公园街道6 永安台街道8 榆林街道7 南阳街道6 千金街道8"),
        ("210403", "东洲区", "新屯街道7 万新街道6 搭连街道5 龙凤街道6 东洲街道5 平山街道6 哈达镇10 碾盘乡8 兰山乡9"),
        ("210404", "望花区", "建设街道7 光明街道6 古城子街道6 田屯街道5 朴屯街道5 和平街道6 工农街道6 新民街道5 "
                          "演武街道5 塔峪镇9 拉古满族乡7"),
        ("210411", "顺城区", "新华街道7 将军街道8 长春街道7 葛布街道6 抚顺城街道8 临江街道6 河北街道6 前甸镇11 会元乡8"),
        ("210421", "抚顺县", "石文镇14 后安镇13 章党镇11 救兵镇12 上马镇12 马圈子乡10 峡河乡9 汤图满族乡8"),
        ("210422", "新宾满族自治县", "新宾镇14 永陵镇16 旺清门镇13 木奇镇12 上夹河镇14 南杂木镇13 平顶山镇11 大四平镇12 "
                               "苇子峪镇12 红升乡10 响水河乡9 榆树乡9 北四平乡8 下夹河乡10 红庙子乡9"),
        ("210423", "清原满族自治县", "清原镇12 红透山镇11 草市镇14 英额门镇13 南口前镇12 南山城镇14 湾甸子镇12 大孤家镇12 "
                               "夏家堡镇11 北三家乡9 土口子乡9 敖家堡乡8 大苏河乡9 枸乃甸乡9"),
    ),
    # Assumed (docs/seed-data.md): 80+ and 100+ at the 2020 census shares, homes, nursing-type share, splits.
    described="2104", aged_60=563_200, aged_80=76_368, centenarians=254,
    beds=14_102, residents=7_150, nursing_bed_share=0.40, nursing_homes=150,
    community=(("community_care_centre", 63, 15, 0.0), ("day_care_centre", 55, 14, 0.4),
               ("canteen", 10, 0, 0.6), ("mutual_aid_home", 0, 126, 0.1)),
    medical_units=9, medical_beds=356, home_care_beds=220, urban_weight=1.6, surnames="关佟那富隋鲁",
    targets=(("beds_per_1000_min", 35), ("beds_per_1000_max", 40)))

ENYANG = Place(
    "四川省", ("5119", "巴中市"), (
        ("511903", "恩阳区", "登科街道12:白玉 文治街道10 司城街道8 柳林镇20 下八庙镇18 玉山镇19 茶坝镇17 花丛镇18 群乐镇17 "
                          "上八庙镇19 双胜镇18 关公镇19 三河场镇20 渔溪镇18 尹家镇18 三汇镇19 九镇20 义兴镇19"),
    ),
    # Assumed (docs/seed-data.md): beds, residents, homes, nursing-type share, day-care and mutual-aid counts.
    described="511903", aged_60=130_876, aged_80=11_604, centenarians=48,
    beds=3_000, residents=1_440, nursing_bed_share=0.30, nursing_homes=18,
    community=(("day_care_centre", 6, 15, 0.0), ("mutual_aid_home", 0, 36, 0.1)),
    urban_weight=2.0, surnames="苟岳向蒲冉", other_district_ids=0.0,
    home_ownership=(("public", 70), ("private", 15), ("private_with_public_aid", 15)),
    targets=(("beds", 5000), ("beds_per_1000", 40), ("nursing_type_share_pct", 60), ("coverage_urban_pct", 80),
             ("coverage_rural_pct", 70), ("disabled_care_coverage_pct", 70), ("home_care_providers", 300)))

PLACES = (FUSHUN, ENYANG)

COMMUNITY_NAMES = ("和平 胜利 建设 友谊 光明 幸福 新华 东风 向阳 团结 民主 繁荣 文化 春光 园林 北台 南台 东岗 西岗 铁路 "
                   "矿山 河畔 滨河 青年 朝阳 育才 新城 锦绣 前进 兴盛 安居 康乐 振兴 华山 天湖 永安 回龙 义阳 望江 金桥").split()
VILLAGE_NAMES = {
    "2104": ("大营子 下房身 李家堡 王家堡 石门 南沟 东山 河口 青松 柳树 杨树 马家 新农 黄家 高家 榆树 东岭 三道沟 二道河 "
             "大甸子 小甸子 腰站 后堡 前堡 新立屯 红石 金家 孤家子 夹河 龙泉 清河 大堡 双河 上营 下营 果园 北沟 三合").split(),
    "5119": ("青龙 白鹤 双河 石桥 龙潭 大石 金山 玉堂 观音 桂花 凤凰 长岭 新场 柏林 天池 三合 万寿 红岩 黄桷 水井 "
             "青杠 石庙 白庙 鹿鸣 龙凤 高峰 平桥 太平 梨树 松林 狮子 永乐").split(),
}
ROADS = "裕民路 新华大街 临江路 东四路 永安路 和平路 南阳路 河北路 将军路 光明路 建设路 滨河路 文化路 东风路".split()
BRANDS = ("康乐 颐和 福寿 夕阳红 松鹤 安康 怡养 金秋 长青 瑞祥 康宁 祥和 福泰 乐龄 孝心 颐年 润福 德馨 百福 仁和 "
          "寿康 安泰 和煦 春晖 康馨 福瑞 颐康 天伦 慈恩 永宁 嘉禾 益寿 敬亲 福满 乐康 同心 恒爱 晚晴 颐乐 温馨").split()
HOME_SUFFIXES = ("养老院", "老年公寓", "颐养中心", "护理院")
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
            "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
GIVEN = {
    "male": ("国华 建国 志刚 德明 玉山 振华 文斌 树林 长江 福贵 宝山 永福 春生 德胜 洪亮 占山 连成 庆祥 秀峰 立新 "
             "凤山 明礼 广才 守信 和平 卫东 金发 家富 忠义 世杰 永贵 长林 德福 万春 学文 少华 军 勇 强 刚 忠 林 福").split(),
    "female": ("秀英 桂英 玉兰 秀兰 凤英 桂兰 淑珍 玉珍 素芬 翠花 桂芝 淑兰 凤兰 玉梅 秀珍 丽华 金凤 春兰 兰英 玉芳 "
               "秀芳 桂珍 玉华 淑华 凤琴 秀云 素珍 美兰 桂香 玉英 秀华 淑英 彩霞 冬梅 桂荣 凤芝 英 兰 芳 珍 梅").split(),
    "younger": ("伟 磊 静 丽 敏 强 军 洋 勇 艳 杰 娟 涛 超 海燕 晓东 志强 丽娜 建军 红梅 春雨 晓燕 海涛 建华 晓明 "
                "文静 雪梅 宏伟 东升 玉洁").split(),
}
PHONE_PREFIXES = ("130 131 132 133 135 136 137 138 139 150 151 152 155 157 158 159 177 180 181 182 183 186 187 "
                  "188 189 199").split()

# Age within a band: more elders at the band's younger end (cumulative weights per year of age).
AGE_BANDS = {"60": (range(60, 80), list(accumulate(85 - a for a in range(60, 80)))),
             "80": (range(80, 100), list(accumulate((100 - a) ** 1.5 for a in range(80, 100)))),
             "100": (range(100, 106), list(accumulate([40, 25, 15, 10, 6, 4])))}
MALE_SHARE = {"60": 0.48, "80": 0.42, "100": 0.25}
DEMENTIA = {60: 0.02, 70: 0.06, 80: 0.15, 90: 0.30, 100: 0.45}          # by decade of age
DISABILITY = {60: (0.07, 0.02), 70: (0.14, 0.05), 80: (0.25, 0.12), 90: (0.32, 0.25), 100: (0.35, 0.45)}
POVERTY = {True: (0.004, 0.035), False: (0.015, 0.08)}                    # urban?: 特困, 低保
EMPTY_NEST = {True: 0.45, False: 0.55}
EXPIRED_PERCENT = 3  # of each place's assessments, already expired on as_of


@dataclass(frozen=True)
class Seed:
    areas: list
    facilities: list
    admissions: list
    elders: list
    assessments: list
    scale: int = 100
    seed: int = 2104
    as_of: str = "2026-11-23"

    def in_load_order(self) -> list[tuple[str, dict]]:
        """(kind, payload) pairs in an order the registry accepts."""
        return [(kind, payload) for kind, payloads in (
            ("area", self.areas), ("facility", self.facilities), ("admission", self.admissions),
            ("elder", self.elders), ("assessment", self.assessments)) for payload in payloads]

    def summary(self) -> dict:
        """The figures the registry should show for this seed (see docs/seed-data.md)."""
        return _summarise(self)


def build_seed(scale: int = 100, as_of: date = date(2026, 11, 23), seed: int = 2104) -> Seed:
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ValueError(f"scale must be a positive integer, not {scale!r}")
    areas = build_areas()
    names = {a["code"]: a["name"] for a in areas}
    facilities, admissions, elders, assessments = [], [], [], []
    for place in PLACES:
        ctx = _Context(place, scale, as_of, seed, names, [a for a in areas if a["code"].startswith(place.described)])
        medical = _medical_units(ctx)
        homes, residents = _nursing_homes(ctx, sum(f["capacity"]["nursing_beds"] for f in medical))
        people, levels = _elders(ctx)
        facilities += homes + medical + _community_facilities(ctx) + _home_care_beds(ctx, people, levels)
        admissions += residents
        elders += people
        assessments += levels
    return Seed(areas, facilities, admissions, elders, assessments, scale, seed, as_of.isoformat())


# --- areas ---------------------------------------------------------------------------------------

def build_areas() -> list[dict]:
    """The area tree, parents first. It depends on nothing: geography does not change with the seed.

    Codes below the district follow the statistics bureau's ranges: streets 001-099, towns 101-199,
    townships 201-399; communities 001-199, villages 201-399.
    """
    rng = random.Random(2260)
    areas = []
    for place in PLACES:
        areas.append(_area(place.city[0], place.city[1], "city", None, True))
        for district_code, district_name, towns in place.districts:
            areas.append(_area(district_code, district_name, "district", place.city[0], True))
            numbers = {"街道": 0, "镇": 100, "乡": 200}
            for word in towns.split():
                name, count, first = re.fullmatch(r"(\D+?)(\d+)(?::(.*))?", word).groups()
                kind = "街道" if name.endswith("街道") else name[-1]
                numbers[kind] += 1
                code, urban = f"{district_code}{numbers[kind]:03d}", kind == "街道"
                areas.append(_area(code, name, "town", district_code, urban))
                pool = COMMUNITY_NAMES if urban else VILLAGE_NAMES[place.city[0]]
                fixed = first.split(",") if first else []
                chosen = fixed + rng.sample([n for n in pool if n not in fixed], int(count) - len(fixed))
                for i, village in enumerate(chosen, start=1 if urban else 201):
                    areas.append(_area(f"{code}{i:03d}", village + ("社区" if urban else "村"), "village", code, urban))
    return areas


def _area(code, name, tier, parent, urban):
    return {"code": code, "name": name, "tier": tier, "parent_code": parent, "urban": urban}


@dataclass(frozen=True)
class _Context:
    place: Place
    scale: int
    as_of: date
    seed: int
    names: dict
    areas: list

    def rng(self, part: str) -> random.Random:
        """One stream per part, so that changing one part leaves the others' data alone."""
        return random.Random(f"{self.seed}/{self.place.described}/{part}")

    def scaled(self, n: int, minimum: int = 1) -> int:
        return scaled(n, self.scale, minimum)

    def tier(self, tier: str, urban: bool | None = None) -> list[dict]:
        return [a for a in self.areas if a["tier"] == tier and (urban is None or a["urban"] == urban)]

    def facility_id(self, kind: str, i: int) -> str:
        return str(uuid.uuid5(SEED_NAMESPACE, f"{self.seed}/facility/{self.place.described}/{kind}/{i}"))

    def address(self, code: str, rng: random.Random) -> str:
        words = [self.place.province] + [self.names[code[:n]] for n in (4, 6, 9, 12) if len(code) >= n]
        if len(code) == 12 and int(code[9:]) > 200:  # a village: a group (组), not a street number
            return "".join(words) + f"{rng.randint(1, 9)}组"
        return "".join(words) + f"{rng.choice(ROADS)}{rng.randint(1, 199)}号"


def scaled(n: int, scale: int, minimum: int = 1) -> int:
    """n / scale rounded half up, and at least ``minimum`` when n itself is not zero."""
    return max(minimum if n else 0, (2 * n + scale) // (2 * scale))


def apportion(total: int, weights: list[float], caps: list[int] | None = None) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), never above ``caps``."""
    caps = caps or [total] * len(weights)
    counts = [0] * len(weights)
    free = [i for i, cap in enumerate(caps) if cap > 0]
    while free and sum(counts) < total:
        left, ws = total - sum(counts), [weights[i] or 1e-9 for i in free]
        quotas = [left * w / sum(ws) for w in ws]
        shares = [int(q) for q in quotas]
        for j in sorted(range(len(free)), key=lambda j: (shares[j] - quotas[j], j))[:left - sum(shares)]:
            shares[j] += 1
        for i, share in zip(free, shares):
            counts[i] += min(share, caps[i] - counts[i])
        free = [i for i in free if counts[i] < caps[i]]
    return counts


def _services(*names: str) -> list[str]:
    unknown = set(names) - set(SERVICES)
    assert not unknown, unknown
    return [s for s in SERVICES if s in names]


def _capacity(general=0, nursing=0, day=0, seats=0, floor=0) -> dict:
    return {"general_beds": general, "nursing_beds": nursing, "day_places": day, "canteen_seats": seats,
            "floor_area_m2": floor}


def _facility(ctx, kind, i, name, area_code, ownership, operator, capacity, services, care_type=None,
              stars=0, rng=None):
    return {"facility_id": ctx.facility_id(kind, i), "kind": kind, "name": name, "area_code": area_code,
            "address": ctx.address(area_code, rng), "ownership": ownership, "operator": operator,
            "care_type": care_type, "capacity": capacity, "services": services, "star_rating": stars}


def _company(ctx, rng) -> str:
    return f"{_short(ctx.names[ctx.place.described])}{rng.choice(BRANDS)}养老服务有限公司"


def _short(name: str) -> str:
    return name[:-1] if name[-1] in "市区县" else name


def _weighted(rng, pairs):
    return rng.choices([k for k, _ in pairs], [w for _, w in pairs])[0]


# --- institutions --------------------------------------------------------------------------------

NURSING_WEIGHT = {"support": 0.1, "nursing": 0.7, "medical": 0.9}  # how much of a home is nursing-type
CARE_TYPES = {"public": (("support", 1),), "public_built_private_run": (("nursing", 6), ("support", 4)),
              "private": (("nursing", 55), ("support", 30), ("medical", 15)),
              "private_with_public_aid": (("nursing", 7), ("medical", 3))}


def _nursing_homes(ctx, medical_beds: int) -> tuple[list, list]:
    """养老机构: the scaled beds over as many homes as keep at least a few beds each.

    The registry counts medical-care units' beds as institutional beds too, so the homes hold the
    rest and the place's total (and so beds per 1 000 elders) is the document's.
    """
    place, rng = ctx.place, ctx.rng("nursing_homes")
    total = ctx.scaled(place.beds)
    beds = max(1, total - medical_beds)
    n = max(1, min(place.nursing_homes, beds // MIN_BEDS_PER_HOME))
    district_code = place.districts[0][0]
    rural_towns = ctx.tier("town", urban=False)
    rng.shuffle(rural_towns)
    brands = [(b, s) for b in BRANDS for s in HOME_SUFFIXES]
    rng.shuffle(brands)
    described = ctx.names[place.described]
    specs = [("public", "nursing", district_code, f"{described}社会福利中心", f"{described}民政局", 3.0, 4)]
    for _ in range(n - 1):
        ownership = _weighted(rng, place.home_ownership)
        if ownership == "public" and rural_towns:  # a township 敬老院 (供养型)
            town = rural_towns.pop()
            specs.append(("public", "support", town["code"], f"{ctx.names[town['code'][:6]]}{town['name']}敬老院",
                          f"{town['name']}人民政府", rng.uniform(0.5, 1.2), rng.choice([0, 1, 1, 2])))
            continue
        ownership = "private" if ownership == "public" else ownership
        town = rng.choices(ctx.tier("town"), [3 if t["urban"] else 1 for t in ctx.tier("town")])[0]
        brand, suffix = brands.pop()  # 160 names: enough for every private home at scale 1
        specs.append((ownership, _weighted(rng, CARE_TYPES[ownership]), town["code"],
                      f"{_short(described)}{brand}{suffix}", _company(ctx, rng),
                      rng.uniform(0.6, 2.5), rng.choice([0, 1, 2, 2, 3])))
    base = min(MIN_BEDS_PER_HOME, beds // n)
    sizes = [base + extra for extra in apportion(beds - base * n, [s[5] for s in specs])]
    nursing = apportion(max(0, int(total * place.nursing_bed_share + 0.5) - medical_beds),
                        [size * NURSING_WEIGHT[s[1]] for s, size in zip(specs, sizes)], caps=sizes)
    residents = apportion(ctx.scaled(place.residents), [size * rng.uniform(0.6, 1.4) for size in sizes], caps=sizes)
    homes, admissions = [], []
    for i, (spec, size, nursing_beds, count) in enumerate(zip(specs, sizes, nursing, residents)):
        ownership, care_type, code, name, operator, _, stars = spec
        extra = ("rehabilitation", "medical") if care_type != "support" else ("day_care",)
        respite = ("respite_care",) if rng.random() < 0.4 else ()
        homes.append(_facility(
            ctx, "nursing_home", i, name, code, ownership, operator,
            _capacity(general=size - nursing_beds, nursing=nursing_beds, floor=rng.randint(1200, 6000)),
            _services("admission", "full_time_care", "meals", "recreation", "bathing", "trial_stay", *extra, *respite),
            care_type=care_type, stars=min(5, stars + (care_type == "medical")), rng=rng))
        if count:
            admissions.append({"facility_id": homes[-1]["facility_id"], "count": count})
    return homes, admissions


MEDICAL_UNITS = (("210403", "辽健集团抚矿老虎台医院"), ("210404", "辽健集团抚矿胜利医院"), ("210411", "辽健集团抚矿脑科医院"),
                 ("210402", "新抚区第三医院"), ("210404", "望花区人民医院"), ("210411", "顺城区人民医院"),
                 ("210421", "抚顺县人民医院"), ("210422", "新宾满族自治县人民医院"), ("210423", "清原满族自治县人民医院"))


def _medical_units(ctx) -> list:
    """医养结合单位: hospitals with elderly-care beds (only Fushun's are in the seeds).

    Each keeps at least one bed (the registry requires beds of a medical-care unit), so below
    scale 40 the total is the number of units rather than 356 / scale.
    """
    place, rng = ctx.place, ctx.rng("medical_units")
    units = [u for u in MEDICAL_UNITS if u[0].startswith(place.described)][:place.medical_units]
    extra = max(0, ctx.scaled(place.medical_beds) - len(units)) if units else 0
    beds = [1 + n for n in apportion(extra, [rng.uniform(0.5, 1.5) for _ in units])]
    out = []
    for i, ((district, name), count) in enumerate(zip(units, beds)):
        towns = [t for t in ctx.tier("town") if t["code"].startswith(district)]
        town = rng.choice([t for t in towns if t["urban"]] or towns)
        operator = "辽健集团" if name.startswith("辽健") else f"{ctx.names[district]}卫生健康局"
        out.append(_facility(ctx, "medical_care_unit", i, name, town["code"], "public", operator,
                             _capacity(nursing=count, floor=rng.randint(800, 3000)),
                             _services("medical", "rehabilitation", "full_time_care", "admission", "health_consultation"),
                             rng=rng))
    return out


# --- community facilities ------------------------------------------------------------------------

def _landmarks(ctx, rng) -> list:
    """The facilities the seed documents name: Fushun's city centre, Enyang's first complex."""
    if ctx.place is FUSHUN:
        code, op = "210402003001", "抚顺市民政局"
        return [_facility(ctx, "community_care_centre", 0, "抚顺市居家和社区养老服务中心", code, "public", op,
                          _capacity(day=ctx.scaled(40), seats=ctx.scaled(80), floor=1600),
                          _services(*SIX_AIDS, "day_care", "trial_stay", "emergency", "health_consultation"), rng=rng),
                _facility(ctx, "dispatch_centre", 0, "抚顺市居家智慧养老指挥调度中心", code, "public", op, _capacity(floor=240),
                          _services("emergency", "housekeeping", "health_consultation", "shopping"), rng=rng)]
    code, op, beds = "511903001001", "成都晚霞集团", ctx.scaled(13, minimum=0)
    full_time = ("full_time_care",) if beds else ()
    return [_facility(ctx, "community_care_centre", 0, "登科街道白玉社区养老服务综合中心", code, "public_built_private_run", op,
                      _capacity(nursing=beds, day=ctx.scaled(30), seats=ctx.scaled(40), floor=600),
                      _services(*SIX_AIDS, "emergency", "day_care", "rehabilitation", "respite_care", "home_visits",
                                *full_time), rng=rng),
            _facility(ctx, "dispatch_centre", 0, "白玉社区居家智慧养老指挥调度中心", code, "public_built_private_run", op,
                      _capacity(floor=60), _services("emergency", "home_visits", "health_consultation"), rng=rng)]


def _community_facilities(ctx) -> list:
    rng = ctx.rng("community")
    out = _landmarks(ctx, rng)
    kinds_at: dict[str, list[str]] = {}  # area code -> kinds there (a dict: ordered, unlike a set)
    for f in out:
        kinds_at.setdefault(f["area_code"], []).append(f["kind"])
    rebuilt = apportion(18_100, [rng.uniform(0.5, 1.5) for _ in range(26)]) if ctx.place is FUSHUN else []
    for kind, urban_count, rural_count, colocate in ctx.place.community:
        done = sum(f["kind"] == kind for f in out)
        for urban, count in ((True, urban_count - done), (False, rural_count)):
            pool = ctx.tier("village", urban)
            for _ in range(count):
                taken = [a for a in pool if kind not in kinds_at.get(a["code"], [kind])]
                free = [a for a in pool if a["code"] not in kinds_at]
                village = rng.choice(taken) if taken and (not free or rng.random() < colocate) else rng.choice(free)
                kinds_at.setdefault(village["code"], []).append(kind)
                floor = rebuilt.pop() if kind == "community_care_centre" and urban and rebuilt else None
                out.append(_community_facility(ctx, rng, kind, sum(f["kind"] == kind for f in out), village, floor))
    return out


def _community_facility(ctx, rng, kind, i, village, floor) -> dict:
    town, urban = ctx.names[village["code"][:9]], village["urban"]
    where = town + village["name"]
    committee = village["name"] + ("居民委员会" if urban else "村民委员会")
    if kind == "community_care_centre":
        ownership = "public_built_private_run" if floor else _weighted(rng, (
            ("public", 3), ("public_built_private_run", 4), ("private_with_public_aid", 3)) if urban else (
            ("public", 7), ("public_built_private_run", 3)))
        extra = rng.sample(["respite_care", "housekeeping", "health_consultation", "shopping"], rng.randint(1, 3))
        return _facility(ctx, kind, i, where + "居家和社区养老服务中心", village["code"], ownership,
                         town + ("街道办事处" if urban else "人民政府") if ownership == "public" else _company(ctx, rng),
                         _capacity(day=ctx.scaled(rng.randint(20, 40)), seats=ctx.scaled(rng.randint(20, 60)),
                                   floor=floor or rng.randint(300, 900)),
                         _services(*SIX_AIDS, "emergency", "day_care", "home_visits", *extra),
                         stars=rng.choice([0, 0, 1, 2, 3]), rng=rng)
    if kind == "day_care_centre":
        ownership = _weighted(rng, (("public", 5), ("public_built_private_run", 3), ("private_with_public_aid", 2)))
        extra = [s for s, p in (("bathing", 0.3), ("rehabilitation", 0.2)) if rng.random() < p]
        return _facility(ctx, kind, i, where + "日间照料中心", village["code"], ownership,
                         committee if ownership == "public" else _company(ctx, rng),
                         _capacity(day=ctx.scaled(rng.randint(10, 30)), seats=ctx.scaled(rng.randint(10, 30)),
                                   floor=rng.randint(150, 500)),
                         _services("day_care", "meals", "recreation", "health_consultation", *extra), rng=rng)
    if kind == "mutual_aid_home":
        meals = rng.random() < 0.6
        return _facility(ctx, kind, i, where + "互助幸福院", village["code"], "public", committee,
                         _capacity(day=ctx.scaled(rng.randint(8, 20)), seats=ctx.scaled(rng.randint(8, 20)) if meals else 0,
                                   floor=rng.randint(80, 300)),
                         _services("recreation", "home_visits", *(("meals",) if meals else ())), rng=rng)
    ownership = _weighted(rng, (("private_with_public_aid", 6), ("public_built_private_run", 4)))
    return _facility(ctx, kind, i, where + "老年食堂", village["code"], ownership, _company(ctx, rng),
                     _capacity(seats=ctx.scaled(rng.randint(30, 80)), floor=rng.randint(150, 400)),
                     _services("meals"), rng=rng)


def _home_care_beds(ctx, elders, assessments) -> list:
    """家庭养老床位 for low-income elders with moderate or severe disability, in their home community."""
    rng, n = ctx.rng("home_care_beds"), ctx.scaled(ctx.place.home_care_beds)
    heavy = [i for i, a in enumerate(assessments) if a["severity"] in ("moderate", "severe")]
    poor = [i for i in heavy if {"minimum_living_allowance", "extreme_poverty"} & set(elders[i]["household"])]
    chosen = rng.sample(poor, min(n, len(poor)))
    others = sorted(set(heavy) - set(chosen))  # used only when too few are poor (a large scale)
    chosen += rng.sample(others, min(n - len(chosen), len(others)))
    return [_facility(ctx, "home_care_bed", i, f"{ctx.names[code[:6]]}家庭养老床位{i + 1:03d}", code, "public",
                      f"{ctx.names[ctx.place.city[0]]}民政局", _capacity(nursing=1),
                      _services("emergency", "home_visits", "rehabilitation"), rng=rng)
            for i, code in enumerate(elders[j]["home_area_code"] for j in chosen)]


# --- elders and assessments ----------------------------------------------------------------------

def _elders(ctx) -> tuple[list, list]:
    """老年人电子档案 and 能力评估: the scaled elders with the documents' age structure, one assessment each."""
    place, rng = ctx.place, ctx.rng("elders")
    total, aged_80, aged_100 = (ctx.scaled(n) for n in (place.aged_60, place.aged_80, place.centenarians))
    bands = ["100"] * aged_100 + ["80"] * (aged_80 - aged_100) + ["60"] * (total - aged_80)
    rng.shuffle(bands)
    villages = ctx.tier("village")
    homes = [v for v, n in zip(villages, apportion(total, [
        (place.urban_weight if v["urban"] else 1.0) * rng.uniform(0.6, 1.4) for v in villages])) for _ in range(n)]
    surnames = list(SURNAMES + place.surnames)
    surname_weights = list(accumulate([1 / (i + 8) for i in range(len(SURNAMES))] + [1 / 38] * len(place.surnames)))
    districts = [d[0] for d in place.districts]
    assessors = {d: [_name(rng, surnames, surname_weights, "younger") for _ in range(3)] for d in districts}
    expired = set(rng.sample(range(total), scaled(total * EXPIRED_PERCENT, 100)))
    used, elders, assessments = set(), [], []
    for i, (band, village) in enumerate(zip(bands, homes)):
        ages, weights = AGE_BANDS[band]
        age = rng.choices(ages, cum_weights=weights)[0]
        sex = "male" if rng.random() < MALE_SHARE[band] else "female"
        birth = _birth_date(rng, age, ctx.as_of)
        district = village["code"][:6]
        if len(districts) > 1 and rng.random() < place.other_district_ids:
            district = rng.choice([d for d in districts if d != district])
        id_number = _id_number(rng, district, birth, sex, used)
        household = _household(rng, village["urban"])
        decade = min(age // 10 * 10, 100)
        dementia = rng.random() < DEMENTIA[decade]
        elder_id = str(uuid.uuid5(SEED_NAMESPACE, f"{ctx.seed}/elder/{id_number}"))
        surname = rng.choices(surnames, cum_weights=surname_weights)[0]
        elders.append({
            "elder_id": elder_id, "id_number": id_number, "name": surname + rng.choice(GIVEN[sex]), "sex": sex,
            "birth_date": birth.isoformat(), "home_area_code": village["code"], "household": household,
            "dementia": dementia, "family_contact": _contact(rng, surname, surnames, surname_weights, household)})
        assessments.append(_assessment(rng, ctx, elder_id, decade, dementia, i in expired,
                                       f"{ctx.names[village['code'][:6]]}老年人能力评估站 "
                                       f"{rng.choice(assessors[village['code'][:6]])}"))
    return elders, assessments


def _name(rng, surnames, weights, generation) -> str:
    return rng.choices(surnames, cum_weights=weights)[0] + rng.choice(GIVEN[generation])


def _contact(rng, surname, surnames, weights, household) -> dict | None:
    if "extreme_poverty" in household or rng.random() < 0.04:  # 特困: no one to support them
        return None
    name = (surname if rng.random() < 0.75 else rng.choices(surnames, cum_weights=weights)[0]) + rng.choice(GIVEN["younger"])
    return {"name": name, "phone": rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"}


def _household(rng, urban) -> list[str]:
    extreme, minimum = POVERTY[urban]
    r, flags = rng.random(), set()
    if r < extreme:
        flags |= {"extreme_poverty", "empty_nest", "living_alone"}
    elif r < extreme + minimum:
        flags.add("minimum_living_allowance")
    if rng.random() < EMPTY_NEST[urban]:
        flags.add("empty_nest")
        if rng.random() < 0.3:  # 独居 is the empty nest of one
            flags.add("living_alone")
    return [h for h in HOUSEHOLD if h in flags]


def _assessment(rng, ctx, elder_id, decade, dementia, expired, assessor) -> dict:
    partly, fully = DISABILITY[decade]
    if dementia:
        partly, fully = partly + 0.15, fully + 0.15
    r = rng.random()
    if r < fully:
        level, severity = "fully_disabled", "severe" if rng.random() < 0.75 else "moderate"
    elif r < fully + partly:
        level, severity = "partly_disabled", "moderate" if rng.random() < 0.3 else "mild"
    else:
        level, severity = "independent", None
    assessed = ctx.as_of - timedelta(days=rng.randint(380, 700) if expired else rng.randint(0, 330))
    return {"elder_id": elder_id, "level": level, "severity": severity, "assessed_on": assessed.isoformat(),
            "valid_until": (_years_after(assessed, 1) - timedelta(days=1)).isoformat(), "assessor": assessor}


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def _birth_date(rng, age: int, as_of: date) -> date:
    latest = _years_after(as_of, -age)                       # turns `age` on as_of
    earliest = _years_after(as_of, -age - 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _id_number(rng, district: str, birth: date, sex: str, used: set) -> str:
    """居民身份证号码 (GB 11643-1999): area, birth date, sequence (odd for men), check digit."""
    while True:
        body = f"{district}{birth:%Y%m%d}{rng.randrange(1 if sex == 'male' else 2, 1000, 2):03d}"
        number = body + identity.check_digit(body)
        if number not in used:
            used.add(number)
            return number


# --- summary -------------------------------------------------------------------------------------

def _summarise(seed: Seed) -> dict:
    as_of = date.fromisoformat(seed.as_of)
    levels = {a["elder_id"]: a for a in seed.assessments}
    return {"scale": seed.scale, "seed": seed.seed, "as_of": seed.as_of,
            "areas": {t: sum(a["tier"] == t for a in seed.areas) for t in ("city", "district", "town", "village")},
            "places": {p.described: _place_summary(p, seed, as_of, levels) for p in PLACES}}


def _pct(part, whole) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def _place_summary(place, seed, as_of, levels) -> dict:
    def inside(code):
        return code.startswith(place.described)
    elders = [e for e in seed.elders if inside(e["home_area_code"])]
    ages = [age_on(date.fromisoformat(e["birth_date"]), as_of) for e in elders]
    facilities = [f for f in seed.facilities if inside(f["area_code"])]
    institutions = [f for f in facilities if f["kind"] in ("nursing_home", "medical_care_unit")]  # as the registry
    homes = [f["capacity"] for f in institutions]
    home_ids = {f["facility_id"] for f in institutions}
    beds = sum(c["general_beds"] + c["nursing_beds"] for c in homes)
    nursing = sum(c["nursing_beds"] for c in homes)
    residents = sum(a["count"] for a in seed.admissions if a["facility_id"] in home_ids)
    villages = [a for a in seed.areas if a["tier"] == "village" and inside(a["code"])]
    covered = {f["area_code"] for f in facilities if f["kind"] in COMMUNITY_KINDS}
    assessed = [levels[e["elder_id"]] for e in elders]
    partly = sum(a["level"] == "partly_disabled" for a in assessed)
    fully = sum(a["level"] == "fully_disabled" for a in assessed)

    def coverage(urban):
        pool = [v for v in villages if v["urban"] == urban]
        return _pct(sum(v["code"] in covered for v in pool), len(pool))
    return {
        "name": next(a["name"] for a in seed.areas if a["code"] == place.described),
        "towns": sum(a["tier"] == "town" and inside(a["code"]) for a in seed.areas),
        "villages": len(villages), "urban_villages": sum(v["urban"] for v in villages),
        "elders": len(elders), "aged_80_plus": sum(a >= 80 for a in ages), "centenarians": sum(a >= 100 for a in ages),
        "share_80_plus_pct": _pct(sum(a >= 80 for a in ages), len(elders)),
        "institutional_beds": beds, "nursing_type_beds": nursing, "nursing_type_share_pct": _pct(nursing, beds),
        "residents": residents, "occupancy_pct": _pct(residents, beds),
        "beds_per_1000": round(1000 * beds / len(elders), 2) if elders else 0.0,
        "facilities": {k: sum(f["kind"] == k for f in facilities) for k in FACILITY_KINDS},
        "medical_care_beds": sum(f["capacity"]["nursing_beds"] for f in facilities if f["kind"] == "medical_care_unit"),
        "coverage_urban_pct": coverage(True), "coverage_rural_pct": coverage(False),
        "partly_disabled": partly, "fully_disabled": fully, "disabled_share_pct": _pct(partly + fully, len(elders)),
        "dementia": sum(e["dementia"] for e in elders),
        "household": {h: sum(h in e["household"] for e in elders) for h in HOUSEHOLD},
        "no_family_contact": sum(e["family_contact"] is None for e in elders),
        "expired_assessments": sum(a["valid_until"] < seed.as_of for a in assessed),
        "targets": dict(place.targets),
    }
