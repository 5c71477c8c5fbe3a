"""`make bench` measures the cold import of every function the declaration deploys."""

from infra.declaration import FUNCTIONS
from tests.bench.__main__ import HANDLERS


def test_every_declared_function_has_its_cold_import_measured():
    assert FUNCTIONS  # a check over nothing would pass
    declared = {spec.name: spec.handler.rsplit(".", 1)[0] for spec in FUNCTIONS}
    measured = {name: module for name, (module, _clients) in HANDLERS.items()}
    assert measured == declared
