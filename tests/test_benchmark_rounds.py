"""The Checkov benchmark's rounds: the order rotates from round to round, and each variant is
compared with Checkov alone of the same round (benchmarks/run.py; pure functions, no timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_run", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_round_k_starts_at_unit_k_mod_n_and_keeps_the_cyclic_order(bench: ModuleType) -> None:
    units = [["alone"], ["cold", "warm"], ["control"]]
    orders = [bench.rotated(units, k) for k in range(4)]
    assert orders == [
        [["alone"], ["cold", "warm"], ["control"]],
        [["cold", "warm"], ["control"], ["alone"]],
        [["control"], ["alone"], ["cold", "warm"]],
        [["alone"], ["cold", "warm"], ["control"]],
    ]
    assert bench.rotated([], 3) == []


def test_every_unit_runs_once_in_every_position_over_n_rounds(bench: ModuleType) -> None:
    units = bench.checkov_units(control=True)
    n = len(units)
    for position in range(n):
        assert sorted(bench.rotated(units, k)[position][0] for k in range(n)) == sorted(u[0] for u in units)


def test_the_cold_and_warm_pack_runs_are_one_unit_cold_first(bench: ModuleType) -> None:
    for control in (False, True):
        units = bench.checkov_units(control)
        assert [bench.PACK_COLD, bench.PACK_WARM] in units
        assert sum(len(unit) for unit in units) == len({name for unit in units for name in unit})
    assert len(bench.checkov_units(False)) == 2
    assert len(bench.checkov_units(True)) == 6


def test_ratios_pair_each_round_with_checkov_alone_of_the_same_round(bench: ModuleType) -> None:
    # Checkov alone drifts 44 s -> 30 s between rounds; the variant costs 1.05x in each round
    alone = [(44.0, 200.0, 0, 44.0), (30.0, 200.0, 0, 30.0), (40.0, 200.0, 0, 40.0)]
    pack = [(46.2, 210.0, 0, 46.2), (31.5, 210.0, 0, 31.5), (42.0, 210.0, 0, 42.0)]
    paired = bench.paired_ratios(pack, alone)
    assert paired.rounds == 3
    assert paired.wall_median == pytest.approx(1.05)
    assert paired.cpu_min == pytest.approx(1.05) and paired.cpu_max == pytest.approx(1.05)


def test_ratios_give_median_min_and_max_wall_and_cpu_apart(bench: ModuleType) -> None:
    alone = [(10.0, 1.0, 0, 20.0), (10.0, 1.0, 0, 20.0), (20.0, 1.0, 0, 10.0)]
    variant = [(11.0, 1.0, 0, 18.0), (9.0, 1.0, 0, 26.0), (30.0, 1.0, 0, 11.0)]
    paired = bench.paired_ratios(variant, alone)
    assert (paired.wall_median, paired.wall_min, paired.wall_max) == pytest.approx((1.1, 0.9, 1.5))
    assert (paired.cpu_median, paired.cpu_min, paired.cpu_max) == pytest.approx((1.1, 0.9, 1.3))


def test_rounds_where_a_run_failed_or_timed_out_are_left_out(bench: ModuleType) -> None:
    alone = [(10.0, 1.0, 0, 10.0), (3600.0, 0.0, -9, 0.0), (10.0, 1.0, 0, 10.0)]
    variant = [(12.0, 1.0, 0, 12.0), (11.0, 1.0, 0, 11.0), (3600.0, 0.0, -9, 0.0)]
    paired = bench.paired_ratios(variant, alone)
    assert paired.rounds == 1 and paired.cpu_median == pytest.approx(1.2)
    assert bench.paired_ratios(variant[1:], alone[1:]) is None


def test_the_pack_table_shows_the_medians_ratio_beside_the_paired_ratios(bench: ModuleType) -> None:
    # per round the pack costs 0.90x, 1.30x, 1.00x of Checkov alone: paired median 1.00, while the
    # medians (39.0 s against 36.0 s) make 1.08x because the drift fell on different rounds
    alone = [(44.0, 200.0, 0, 44.0), (30.0, 200.0, 0, 30.0), (36.0, 200.0, 0, 36.0)]
    cold = [(39.6, 210.0, 0, 39.6), (39.0, 210.0, 0, 39.0), (36.0, 210.0, 0, 36.0)]
    base = bench.summarise(100, bench.CHECKOV_ALONE, alone)
    variant = bench.summarise(100, bench.PACK_COLD, cold)
    variant.paired = bench.paired_ratios(cold, alone)
    rows = bench.pack_ratios([base, variant])
    assert rows[2] == "| N=100 | checkov -d | 3 | 36.00 (36.00) | | | | |"
    assert rows[3] == (
        "| N=100 | archmatch pack, cold cache | 3 | 39.00 (39.00) | 1.08 / 1.08 | 1.00 / 1.00 "
        "| 0.90-1.30 | 0.90-1.30 |"
    )


def test_the_two_file_tree_is_kept_apart_from_a_synthetic_tree_of_two_services(bench: ModuleType) -> None:
    alone, pack = [(4.0, 1.0, 0, 4.0)], [(4.4, 1.0, 0, 4.4)]
    timings = []
    for label in ("", "2 files"):
        base = bench.summarise(2, bench.CHECKOV_ALONE, alone)
        cold = bench.summarise(2, bench.PACK_COLD, pack)
        cold.paired = bench.paired_ratios(pack, alone)
        base.tree = cold.tree = label
        timings += [base, cold]
    labels = [row.split(" | ")[0] for row in bench.pack_ratios(timings)[2:]]
    assert labels == ["| N=2", "| N=2", "| 2 files", "| 2 files"]
