"""No import circle inside dialogs/ or store/: no module reaches back to one that reaches it."""

from __future__ import annotations

import itertools

import grimp
import pytest

GRAPH = grimp.build_graph("dialogs", "store", "domain", "cards")


@pytest.mark.parametrize("package", ["dialogs", "store"])
def test_no_two_modules_of_a_package_import_each_other(package: str) -> None:
    modules = sorted(m for m in GRAPH.modules if m.startswith(package + "."))
    circles = [
        (a, b)
        for a, b in itertools.combinations(modules, 2)
        if GRAPH.chain_exists(a, b) and GRAPH.chain_exists(b, a)
    ]
    assert circles == []


def test_a_circle_would_be_seen() -> None:
    graph = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    assert graph.chain_exists("p.a", "p.b") and graph.chain_exists("p.b", "p.a")
