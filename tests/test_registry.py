from pathlib import Path

import pytest

from pipeline.registry import (
    DEFAULT_REGISTRY_PATH,
    FormerName,
    Registry,
    RegistryError,
    Unit,
    load_registry,
    normalise_name,
    unit_name,
)

CITY_NAMES = [
    "西安市总工会",
    "铜川市总工会",
    "宝鸡市总工会",
    "咸阳市总工会",
    "渭南市总工会",
    "延安市总工会",
    "汉中市总工会",
    "榆林市总工会",
    "安康市总工会",
    "商洛市总工会",
    "杨凌示范区总工会",
    "韩城市总工会",
]
COUNTIES_PER_CITY = {
    "C01": 13,
    "C02": 4,
    "C03": 12,
    "C04": 13,
    "C05": 10,
    "C06": 13,
    "C07": 11,
    "C08": 12,
    "C09": 10,
    "C10": 7,
    "C11": 1,
    "C12": 0,
}
INDUSTRY_NAMES = [
    "陕西省教科文卫体工会",
    "陕西省能源化学地质工会",
    "陕西省机械冶金建材工会",
    "陕西省国防邮电工会",
    "陕西省财贸轻纺烟草工会",
    "陕西省农林水利气象工会",
    "陕西省海员建设工会",
    "陕西省金融工会",
]
# The unit's copy says whom to contact (the catalog's reporting contact); only the analyst's copy names the file.
ADVICE = (
    "请核对单位名称并按全称填写；如名称无误（例如单位新近更名），请与省总工会产业工会工作部（联系电话见通知）联系。"
)
ANALYST_ADVICE = "请核对单位名称；如确为该单位的另一种写法，请管理员在 catalog/units.yaml 中为该单位增加别名。"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


# -- the shipped registry ----------------------------------------------------------


def test_default_path_is_catalog_units_yaml() -> None:
    expected = Path(__file__).resolve().parent.parent / "catalog" / "units.yaml"
    assert expected == DEFAULT_REGISTRY_PATH


def test_counts_by_type(registry: Registry) -> None:
    assert len(registry.units) == 127
    assert len(registry.of_type("province")) == 1
    assert len(registry.cities()) == 12
    assert len(registry.industry_unions()) == 8
    assert len(registry.of_type("county")) == 106


def test_province(registry: Registry) -> None:
    province = registry.province()
    assert province == Unit(
        code="P00",
        name="陕西省总工会",
        short_name="省总工会",
        type="province",
        parent=None,
        aliases=(
            "省总工会",
            "陕西省总",
            "省总",
            "陕西省总工会（盖章）",
            "陕西省总工会(盖章)",
        ),
    )
    assert registry.units[0] is province


def test_cities_in_order(registry: Registry) -> None:
    cities = registry.cities()
    assert [city.name for city in cities] == CITY_NAMES
    assert [city.code for city in cities] == [f"C{i:02d}" for i in range(1, 13)]
    assert {city.parent for city in cities} == {"P00"}
    assert cities[0].short_name == "西安市"
    assert cities[10].short_name == "杨凌示范区"


def test_industry_unions_in_order(registry: Registry) -> None:
    unions = registry.industry_unions()
    assert [union.name for union in unions] == INDUSTRY_NAMES
    assert [union.code for union in unions] == [f"I{i:02d}" for i in range(1, 9)]
    assert {union.parent for union in unions} == {"P00"}
    assert unions[0].short_name == "省教科文卫体工会"


def test_counties_per_city(registry: Registry) -> None:
    counts = {city.code: len(registry.counties_of(city.code)) for city in registry.cities()}
    assert counts == COUNTIES_PER_CITY
    assert sum(counts.values()) == 106


def test_county_codes_and_order(registry: Registry) -> None:
    xian = registry.counties_of("C01")
    assert [county.code for county in xian] == [f"C01-{i:02d}" for i in range(1, 14)]
    assert [county.name for county in xian[:3]] == ["新城区", "碑林区", "莲湖区"]
    assert xian[-1].name == "周至县"
    assert [county.name for county in registry.counties_of("C11")] == ["杨陵区"]
    assert registry.counties_of("C12") == ()
    assert registry.get("C04-12").name == "兴平市"
    assert registry.get("C01-12").aliases == ("蓝田县总工会", "蓝田", "蓝田总工会")


def test_every_county_parent_is_a_city(registry: Registry) -> None:
    for county in registry.of_type("county"):
        assert registry.get(county.parent).type == "city", county.code
        assert county.code.startswith(f"{county.parent}-"), county.code


def test_two_character_counties_have_no_one_character_alias(registry: Registry) -> None:
    short = [c for c in registry.of_type("county") if len(c.name) == 2]
    assert sorted(c.name for c in short) == sorted(["眉县", "陇县", "凤县", "乾县", "富县", "洋县", "勉县", "佳县"])
    for county in short:
        assert county.aliases == (f"{county.name}总工会",)


def test_no_alias_maps_to_two_units(registry: Registry) -> None:
    owners: dict[str, set[str]] = {}
    for unit in registry.units:
        for spelling in (unit.name, unit.short_name, *unit.aliases):
            owners.setdefault(normalise_name(spelling), set()).add(unit.code)
    shared = {key: codes for key, codes in owners.items() if len(codes) > 1}
    assert shared == {}


def test_every_spelling_resolves_to_its_own_unit(registry: Registry) -> None:
    for unit in registry.units:
        for spelling in (unit.name, unit.short_name, *unit.aliases):
            assert registry.resolve(spelling).unit == unit, spelling


def test_children_and_lookups(registry: Registry) -> None:
    assert [u.code for u in registry.children("P00")] == [f"C{i:02d}" for i in range(1, 13)] + [
        f"I{i:02d}" for i in range(1, 9)
    ]
    assert registry.children("I03") == ()
    assert "C05-10" in registry
    assert "C13" not in registry
    with pytest.raises(KeyError, match="单位代码 C13 不在单位登记表中"):
        registry.get("C13")
    with pytest.raises(ValueError, match="不是市级单位"):
        registry.counties_of("I01")
    with pytest.raises(ValueError, match="单位类型 town 无法识别"):
        registry.of_type("town")


# -- resolution --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "matched_by"),
    [
        ("西安市总工会", "C01", "exact"),
        ("陕西省金融工会", "I08", "exact"),
        ("蓝田县", "C01-12", "exact"),
        ("西安", "C01", "alias"),
        ("西安市", "C01", "alias"),
        ("西安市总", "C01", "alias"),
        ("西安市总工会（盖章）", "C01", "alias"),
        ("西安市总工会(盖章)", "C01", "alias"),
        ("省金融工会", "I08", "alias"),
        ("省总", "P00", "alias"),
        ("杨凌区", "C11", "alias"),
        ("韩城", "C12", "alias"),
        ("蓝田", "C01-12", "alias"),
        ("蓝田县总工会", "C01-12", "alias"),
        ("陕西省教育科技文化卫生体育工会", "I01", "alias"),
        ("省农林水气工会", "I06", "alias"),
        ("  西安市总工会 ", "C01", "normalised"),
        ("西安市总工会\u3000", "C01", "normalised"),
        ("西 安 市", "C01", "normalised"),
        ("西安市总工会（公章）", "C01", "normalised"),
        ("西安市总工会(章)", "C01", "normalised"),
        ("西安市总工会【盖章】", "C01", "normalised"),
        ("西安市总工会盖章", "C01", "normalised"),
        ("宝鸡市总工会 （盖章）", "C03", "normalised"),
        ("陕西省西安市总工会", "C01", "normalised"),
        ("陕西金融工会", "I08", "normalised"),
        ("西安市新城区总工会", "C01-01", "normalised"),
        ("西安新城区", "C01-01", "normalised"),
        ("咸阳市 兴平市总工会（盖章）", "C04-12", "normalised"),
    ],
)
def test_resolves(registry: Registry, text: str, code: str, matched_by: str) -> None:
    resolution = registry.resolve(text)
    assert resolution.unit is not None
    assert (resolution.unit.code, resolution.matched_by) == (code, matched_by)
    assert resolution.candidates == ()
    assert resolution.resolved is True


def test_resolved_message(registry: Registry) -> None:
    assert registry.resolve("西安").message() == "“西安”已识别为西安市总工会。"


@pytest.mark.parametrize(
    ("text", "best", "score"),
    [
        ("西按市总工会", "C01", 75.0),
        ("宝鸡市总公会", "C03", 80.0),
        ("兰田县总工会", "C01-12", 75.0),
        ("兰田县", "C01-12", 66.7),
        ("陕西省教科文为体工会", "I01", 88.8),
        ("省金融公会", "I08", 77.5),
    ],
)
def test_near_miss_is_not_resolved(registry: Registry, text: str, best: str, score: float) -> None:
    resolution = registry.resolve(text)
    assert resolution.unit is None
    assert resolution.matched_by == "none"
    assert resolution.resolved is False
    unit, top = resolution.candidates[0]
    assert (unit.code, top) == (best, score)
    assert len(resolution.candidates) <= 3


def test_near_miss_message(registry: Registry) -> None:
    assert registry.resolve("西按市总工会").message() == (
        "无法识别单位名称“西按市总工会”。最接近的是：西安市总工会。" + ADVICE
    )


def test_candidates_ranked_best_first(registry: Registry) -> None:
    # 杨凌区 is the city-level alias, 杨陵区 the county: with 总工会 appended a
    # person has to decide which one was meant.
    resolution = registry.resolve("杨凌区总工会")
    assert resolution.unit is None
    assert [(u.code, s) for u, s in resolution.candidates] == [
        ("C11", 83.3),
        ("C11-01", 75.0),
    ]
    assert resolution.message() == (
        "无法识别单位名称“杨凌区总工会”。最接近的是：杨凌示范区总工会、杨陵区（杨凌示范区）。" + ADVICE
    )


def test_county_under_the_wrong_city_is_not_resolved(registry: Registry) -> None:
    resolution = registry.resolve("西安市长武县总工会")
    assert resolution.unit is None
    assert [(u.code, s) for u, s in resolution.candidates] == [
        ("C01", 73.3),
        ("C04-08", 73.3),
    ]


@pytest.mark.parametrize("text", ["北京市总工会", "上海", "工会"])
def test_unknown_name(registry: Registry, text: str) -> None:
    resolution = registry.resolve(text)
    assert (resolution.unit, resolution.matched_by, resolution.candidates) == (
        None,
        "none",
        (),
    )
    assert resolution.message() == f"无法识别单位名称“{text}”，未找到相近的单位。" + ADVICE


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "（盖章）"])
def test_empty_name(registry: Registry, text: str) -> None:
    resolution = registry.resolve(text)
    assert (resolution.unit, resolution.matched_by, resolution.candidates) == (
        None,
        "none",
        (),
    )
    assert resolution.message() == "单位名称为空，无法识别。请填写填报单位名称。"


def test_types_restrict_resolution(registry: Registry) -> None:
    assert registry.resolve("西安", types={"county"}).unit is None
    assert registry.resolve("西安", types={"city", "county"}).unit == registry.get("C01")
    assert registry.resolve("省金融工会", types={"city"}).unit is None
    industry = registry.resolve("金融工会", types={"industry"})
    assert (industry.unit.code, industry.matched_by) == ("I08", "alias")


def test_parent_restricts_resolution(registry: Registry) -> None:
    inside = registry.resolve("蓝田县总工会", parent="C01")
    assert (inside.unit.code, inside.matched_by) == ("C01-12", "alias")
    outside = registry.resolve("蓝田县总工会", parent="C04")
    assert outside.unit is None
    assert all(unit.parent == "C04" for unit, _ in outside.candidates)


def test_parent_restricts_candidates(registry: Registry) -> None:
    # The near miss is offered among 西安's counties; among 咸阳's nothing is close.
    resolution = registry.resolve("兰田县", parent="C01")
    assert [(u.code, s) for u, s in resolution.candidates] == [("C01-12", 66.7)]
    assert registry.resolve("兰田县", parent="C04").candidates == ()


def test_restriction_rejects_unknown_type_or_parent(registry: Registry) -> None:
    with pytest.raises(ValueError, match="单位类型 town 无法识别"):
        registry.resolve("西安", types={"town"})
    with pytest.raises(KeyError, match="单位代码 C99 不在单位登记表中"):
        registry.resolve("西安", parent="C99")


def test_normalise_name() -> None:
    assert normalise_name(" 西安市总工会（盖章） ") == "西安市总工会"
    assert normalise_name("西安市总工会（盖章）盖章") == "西安市总工会"
    assert normalise_name("〔盖章〕") == ""
    assert normalise_name("［市总工会］") == "(市总工会)"
    assert normalise_name("省\u200b金融工会") == "省金融工会"


# -- validation of a registry file ---------------------------------------------------

PROVINCE = """\
  - code: P00
    name: 陕西省总工会
    short_name: 省总工会
    type: province
    parent: null
    aliases: [省总]
"""
CITY = """\
  - code: C01
    name: 西安市总工会
    short_name: 西安市
    type: city
    parent: P00
    aliases: [西安]
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "units.yaml"
    path.write_text("units:\n" + body, encoding="utf-8")
    return path


def _unit(code: str, name: str, unit_type: str, parent: str, aliases: str = "[]") -> str:
    return (
        f"  - code: {code}\n    name: {name}\n    short_name: {name}\n"
        f"    type: {unit_type}\n    parent: {parent}\n    aliases: {aliases}\n"
    )


def test_small_valid_file(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE + CITY + _unit("C01-01", "新城区", "county", "C01"))
    registry = load_registry(path)
    assert [u.code for u in registry.units] == ["P00", "C01", "C01-01"]
    assert registry.get("C01-01") == Unit("C01-01", "新城区", "新城区", "county", "C01", ())


def test_duplicate_code(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE + CITY + _unit("C01", "铜川市总工会", "city", "P00"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：代码 C01 重复"


def test_unknown_parent(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE + _unit("C01-01", "新城区", "county", "C01"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：单位新城区（C01-01）的上级单位 C01 不存在"


def test_county_under_province(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE + _unit("C01-01", "新城区", "county", "P00"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == (
        f"单位登记表 {path}：单位新城区（C01-01）是县级单位，上级应为市级单位，但陕西省总工会（P00）是省级单位"
    )


def test_city_under_industry_union(tmp_path: Path) -> None:
    body = PROVINCE + _unit("I01", "陕西省金融工会", "industry", "P00") + _unit("C01", "西安市总工会", "city", "I01")
    path = _write(tmp_path, body)
    with pytest.raises(RegistryError, match="上级应为省级单位，但陕西省金融工会（I01）是省级产业工会"):
        load_registry(path)


def test_bad_type(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE + _unit("C01", "西安市总工会", "town", "P00"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == (
        f"单位登记表 {path}：单位西安市总工会（C01）的类型 town 无法识别，应为 province、city、county、industry 之一"
    )


def test_alias_collision(tmp_path: Path) -> None:
    body = PROVINCE + CITY + _unit("C02", "铜川市总工会", "city", "P00", "[铜川, 西安]")
    path = _write(tmp_path, body)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == (f"单位登记表 {path}：别名“西安”同时指向西安市总工会（C01）和铜川市总工会（C02）")


def test_alias_collision_after_normalisation(tmp_path: Path) -> None:
    body = PROVINCE + CITY + _unit("C02", "铜川市总工会", "city", "P00", "[西安市总工会（盖章）]")
    path = _write(tmp_path, body)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == (
        f"单位登记表 {path}：别名“西安市总工会（盖章）”（规范化后为“西安市总工会”）"
        "同时指向西安市总工会（C01）和铜川市总工会（C02）"
    )


def test_exactly_one_province(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("units: []\n", encoding="utf-8")
    with pytest.raises(RegistryError) as error:
        load_registry(empty)
    assert str(error.value) == f"单位登记表 {empty}：必须有且只有一个省级单位（type: province），实际有 0 个"
    second = PROVINCE.replace("P00", "P01").replace("[省总]", "[]").replace("陕西省总工会", "另一省总工会")
    path = _write(
        tmp_path,
        PROVINCE + second.replace("short_name: 省总工会", "short_name: 另一省总"),
    )
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：必须有且只有一个省级单位（type: province），实际有 2 个"


def test_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE.replace("    name: 陕西省总工会\n", ""))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：单位 P00 缺少字段 name，或该字段不是非空文本"


def test_bad_aliases(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE.replace("[省总]", "省总"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：单位 P00 的字段 aliases 应为非空文本的列表"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"找不到单位登记表 {path}"


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("units:\n  - code: [P00\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"不是有效的 YAML：第 \d+ 行附近格式错误"):
        load_registry(path)


def test_wrong_top_level(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("- code: P00\n", encoding="utf-8")
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：顶层应为包含 units 列表的映射"


# -- former names (counties renamed since 2010) ------------------------------------------

RENAMED = {  # former name -> (code, current name, year of the change)
    "高陵县": ("C01-10", "高陵区", 2014),
    "户县": ("C01-11", "鄠邑区", 2016),
    "凤翔县": ("C03-04", "凤翔区", 2021),
    "彬县": ("C04-13", "彬州市", 2018),
    "华县": ("C05-02", "华州区", 2015),
    "安塞县": ("C06-02", "安塞区", 2016),
    "子长县": ("C06-13", "子长市", 2019),
    "南郑县": ("C07-02", "南郑区", 2017),
    "横山县": ("C08-02", "横山区", 2015),
    "神木县": ("C08-12", "神木市", 2017),
    "旬阳县": ("C09-10", "旬阳市", 2021),
}


def test_shipped_former_names(registry: Registry) -> None:
    listed = {
        former.name: (unit.code, unit.name, former.until) for unit in registry.units for former in unit.former_names
    }
    assert listed == RENAMED


@pytest.mark.parametrize("former", sorted(RENAMED))
def test_former_name_resolves_with_hint(registry: Registry, former: str) -> None:
    code, current, year = RENAMED[former]
    for spelling in (former, f"{former}总工会", f"{former}总工会（盖章）"):
        resolution = registry.resolve(spelling, types={"county"}, year=year + 1)
        assert (resolution.unit.code, resolution.matched_by) == (code, "former_name"), spelling
        assert resolution.hint == f"{former}已于{year}年更名为{current}，按{current}读入"


def test_xunyang_hint_text(registry: Registry) -> None:
    resolution = registry.resolve("旬阳县", year=2024)
    assert resolution.hint == "旬阳县已于2021年更名为旬阳市，按旬阳市读入"
    assert resolution.message() == "“旬阳县”已识别为旬阳市。"


def test_former_name_after_its_city(registry: Registry) -> None:
    resolution = registry.resolve("安康市旬阳县总工会", types={"county"}, parent="C09", year=2023)
    assert (resolution.unit.code, resolution.matched_by) == ("C09-10", "former_name")
    assert resolution.hint == "旬阳县已于2021年更名为旬阳市，按旬阳市读入"
    # Under another city the former name is not that city's county.
    assert registry.resolve("旬阳县", types={"county"}, parent="C04").unit is None


def test_former_name_current_in_its_year_gets_no_hint(registry: Registry) -> None:
    # A 2020 return rightly says 旬阳县; from the year of the change on, the old name earns a hint.
    assert registry.resolve("旬阳县", year=2020).hint == ""
    assert registry.resolve("旬阳县", year=2021).hint == "旬阳县已于2021年更名为旬阳市，按旬阳市读入"
    assert registry.resolve("旬阳县").hint == "旬阳县已于2021年更名为旬阳市，按旬阳市读入"


def test_current_names_have_no_hint(registry: Registry) -> None:
    for text in ("旬阳市", "旬阳", "鄠邑区总工会"):
        resolution = registry.resolve(text, year=2024)
        assert resolution.matched_by in {"exact", "alias"}
        assert resolution.hint == ""


# -- suggestions of the return's own kind ------------------------------------------------


def test_city_return_never_suggests_a_county(registry: Registry) -> None:
    resolution = registry.resolve("杨凌区总工会", expected_types={"city"})
    assert resolution.unit is None
    assert [(u.code, s) for u, s in resolution.candidates] == [("C11", 83.3)]
    assert resolution.message() == "无法识别单位名称“杨凌区总工会”。最接近的是：杨凌示范区总工会。" + ADVICE
    # Without the expectation both kinds are offered, a county with its city and without its code.
    assert registry.resolve("杨凌区总工会").candidate_names == ("杨凌示范区总工会", "杨陵区（杨凌示范区）")


def test_industry_return_never_suggests_a_city(registry: Registry) -> None:
    # 宝鸡市金融工会 looks most like 宝鸡市总工会; on an industry-union return only 省金融工会 is offered.
    anywhere = registry.resolve("宝鸡市金融工会")
    assert [(u.code, s) for u, s in anywhere.candidates] == [("C03", 76.0), ("I08", 64.9)]
    industry = registry.resolve("宝鸡市金融工会", expected_types={"industry"})
    assert [(u.code, s) for u, s in industry.candidates] == [("I08", 64.9)]
    assert industry.candidate_names == ("陕西省金融工会",)


def test_expected_types_still_resolve_other_kinds(registry: Registry) -> None:
    # A city naming itself on an industry-union return is recognised, so the caller can say it files R1.
    resolution = registry.resolve("西安市总工会", expected_types={"industry"})
    assert (resolution.unit.code, resolution.matched_by) == ("C01", "exact")


def test_analyst_message_names_the_registry_file(registry: Registry) -> None:
    resolution = registry.resolve("西按市总工会")
    assert "units.yaml" not in resolution.message()
    assert resolution.analyst_message() == "无法识别单位名称“西按市总工会”。最接近的是：西安市总工会。" + ANALYST_ADVICE
    assert registry.resolve("西安").analyst_message() == "“西安”已识别为西安市总工会。"


def test_message_takes_another_contact(registry: Registry) -> None:
    assert registry.resolve("北京市总工会").message(contact="省总工会办公室") == (
        "无法识别单位名称“北京市总工会”，未找到相近的单位。请核对单位名称并按全称填写；"
        "如名称无误（例如单位新近更名），请与省总工会办公室联系。"
    )


def test_unit_name() -> None:
    assert unit_name("C10") == "商洛市总工会"
    assert unit_name("I07") == "陕西省海员建设工会"
    assert unit_name(None) == "未能识别的单位"
    assert unit_name("C99") == "C99"


# -- validation of former_names ------------------------------------------------------------


def _county_with(former_names: str) -> str:
    return _unit("C01-01", "新城区", "county", "C01") + f"    former_names: {former_names}\n"


def test_former_names_load(tmp_path: Path) -> None:
    registry = load_registry(_write(tmp_path, PROVINCE + CITY + _county_with("[{name: 新城县, until: 2015}]")))
    assert registry.get("C01-01").former_names == (FormerName("新城县", 2015),)
    assert registry.resolve("新城县总工会", year=2016).hint == "新城县已于2015年更名为新城区，按新城区读入"


@pytest.mark.parametrize(
    ("former_names", "detail"),
    [
        ("新城县", "的字段 former_names 应为列表，每项形如 {name: 旬阳县, until: 2021}"),
        ("[新城县]", "的字段 former_names 应为列表，每项形如 {name: 旬阳县, until: 2021}"),
        ("[{name: 新城县}]", "的字段 former_names 应为列表，每项形如 {name: 旬阳县, until: 2021}"),
        ("[{name: '', until: 2015}]", "的字段 former_names 应为列表，每项形如 {name: 旬阳县, until: 2021}"),
        (
            "[{name: 新城县, until: 2015, note: x}]",
            "的字段 former_names 应为列表，每项形如 {name: 旬阳县, until: 2021}",
        ),
        (
            "[{name: 新城县, until: 二〇一五}]",
            "的曾用名“新城县”的 until 应为更名的年份（1949–2100 之间的整数），实际为 '二〇一五'",
        ),
        ("[{name: 新城县, until: 15}]", "的曾用名“新城县”的 until 应为更名的年份（1949–2100 之间的整数），实际为 15"),
        (
            "[{name: 新城县, until: true}]",
            "的曾用名“新城县”的 until 应为更名的年份（1949–2100 之间的整数），实际为 True",
        ),
    ],
)
def test_bad_former_names(tmp_path: Path, former_names: str, detail: str) -> None:
    path = _write(tmp_path, PROVINCE + CITY + _county_with(former_names))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：单位 C01-01 {detail}"


def test_former_name_may_not_be_a_current_name(tmp_path: Path) -> None:
    path = _write(tmp_path, PROVINCE + CITY + _county_with("[{name: 西安, until: 2015}]"))
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert (
        str(error.value)
        == f"单位登记表 {path}：单位新城区（C01-01）的曾用名“西安”是西安市总工会（C01）现在的名称或别名"
    )


def test_former_name_may_not_belong_to_two_units(tmp_path: Path) -> None:
    second = _unit("C01-02", "碑林区", "county", "C01") + "    former_names: [{name: 新城县, until: 2016}]\n"
    path = _write(tmp_path, PROVINCE + CITY + _county_with("[{name: 新城县, until: 2015}]") + second)
    with pytest.raises(RegistryError) as error:
        load_registry(path)
    assert str(error.value) == f"单位登记表 {path}：曾用名“新城县”同时属于新城区（C01-01）和碑林区（C01-02）"
