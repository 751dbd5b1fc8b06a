"""The seed's figures: the two places of the seed documents, names, and the distributions of age,
sex, disability and household drawn from (sources and assumptions: docs/seed-data.md)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from itertools import accumulate

from services.registry.domain import elders as elder_rules, facilities as facility_rules


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
