"""The seed data set loaded through the registry's own RPC gives the statistics the generator
expects from the seed documents' figures (at 1:1000 to stay quick; the demo runs 1:100)."""
from nameko.testing.services import entrypoint_hook

from services.registry.seed import build_seed
from services.registry.seed_loader import load, part_of
from services.registry.service import RegistryService


class HookedRegistry:
    """The loader's view of the registry (an RPC proxy in the demo), here through nameko's hooks."""

    def __init__(self, container):
        self.container = container

    def __getattr__(self, method):
        def call(*args):
            with entrypoint_hook(self.container, method) as hook:
                return hook(*args)
        return call


def test_loaded_seed_statistics_match_the_generators_figures(container_factory, node_config):
    registry = container_factory(RegistryService, node_config)
    registry.start()
    seed = build_seed(scale=1000)
    hooked = HookedRegistry(registry)
    loaded = load(hooked, part_of(seed, "2104"), progress=lambda line: None)
    expected = seed.summary()["places"]["2104"]
    assert loaded["elders"] == expected["elders"]

    stats = hooked.statistics("2104", seed.as_of)
    assert stats["elders"] == {"60+": expected["elders"], "80+": expected["aged_80_plus"],
                               "100+": expected["centenarians"]}
    assert (stats["beds"], stats["nursing_beds"], stats["residents"]) == (
        expected["institutional_beds"], expected["nursing_type_beds"], expected["residents"])
    assert stats["community_coverage_percent"]["urban"] == round(expected["coverage_urban_pct"], 1)
