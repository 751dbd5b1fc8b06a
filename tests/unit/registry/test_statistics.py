from services.registry.domain.statistics import TierFigures, statistics


def test_fushun_figures_from_the_seed_document():
    # 563 200 aged 60+, 14 102 institutional beds, 7 150 residents (DOMAIN.md).
    stats = statistics(TierFigures("2104", elders_60=563_200, beds=14_102, nursing_beds=5_000, residents=7_150))
    assert stats["beds_per_1000_elders"] == 25.0
    assert stats["beds_per_1000_met"] is False  # the provincial target is 35-40
    assert stats["occupancy_percent"] == 50.7
    assert stats["nursing_bed_share_percent"] == 35.5 and stats["nursing_bed_share_met"] is False


def test_coverage_against_urban_and_rural_targets():
    stats = statistics(TierFigures("511903", villages={"urban": 10, "rural": 100},
                                   covered_villages={"urban": 8, "rural": 69}))
    assert stats["community_coverage_percent"] == {"urban": 80.0, "rural": 69.0}
    assert stats["community_coverage_met"] == {"urban": True, "rural": False}


def test_no_elders_or_beds_gives_no_ratio_rather_than_a_division_error():
    stats = statistics(TierFigures("2104"))
    assert stats["beds_per_1000_elders"] is None and stats["occupancy_percent"] is None
    assert stats["community_coverage_met"] == {"urban": None, "rural": None}
