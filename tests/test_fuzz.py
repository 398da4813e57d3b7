"""Mutation fuzzing: 500 seed-fixed cases over every input the CLI reads, and not one may fail.

The cases (tests/fuzzing.py) mutate the bundled example workbook, a blank workbook, the example
JSON, an .ods (and an .xls when LibreOffice is installed), the published HTML / text / PDF /
Word reports and the Word template: byte flips, truncation, zip headers that lie, XML inside
the zip entries (huge references, repeated rows in the millions, entities, deep nesting, odd
numbers and texts), JSON, HTML, PDF and template payloads. Each runs one command in-process
(CliRunner) in a child process capped by RLIMIT_AS, so an allocation bomb fails the case, not
the machine. A failure means a traceback, an exit code outside {0, 1, 2}, a changed input, a
leftover file, or an exit 2 without one "错误：" line (see the module docstring for all).

To look into a failure: the assertion message names the case (index, class, mutator, command);
``python scripts/fuzz.py --seed 20250131 --first N --cases 1 --out DIR`` writes its reproducer.
"""

from __future__ import annotations

import os

import pytest

import fuzzing

RUN_SEED = 20250131
CASES = 500
MEMORY_CAP = 3 * fuzzing.GB
HANG = 60  # seconds: a guard against a case that never ends, not a speed requirement


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-seeds")
    fuzzing.build_seeds(folder)
    return folder


def test_cases_are_fixed_by_the_seed(seed_dir):
    seeds = fuzzing.load_seeds(seed_dir)
    for index in range(0, 60, 7):
        a = fuzzing.make_case(RUN_SEED, index, seeds)
        b = fuzzing.make_case(RUN_SEED, index, seeds)
        assert (a.klass, a.mutator, a.args, a.files) == (b.klass, b.mutator, b.args, b.files)
        assert a.files != fuzzing.make_case(RUN_SEED + 1, index, seeds).files or a.klass == "suffix"
    schedule = fuzzing.class_schedule()
    assert set(schedule) == set(fuzzing.CLASSES)
    assert CASES // len(schedule) >= 10, "every class gets a fair number of cases"


def test_a_dead_or_bloated_child_fails_its_case(seed_dir, tmp_path, monkeypatch):
    """The harness itself: a segfault and an allocation past the cap are recorded against the
    case that caused them, and the other cases still run in a new child."""
    monkeypatch.setenv("XLREPORT_FUZZ_SELFTEST", "crash:1,memory:2")
    summary = fuzzing.run_campaign(RUN_SEED, 4, workers=1, memory_cap=MEMORY_CAP, timeout=HANG, work_dir=tmp_path, seed_dir=seed_dir)
    assert summary["cases"] == 4
    kinds = {f["index"]: {x["kind"] for x in f["failures"]} for f in summary["failures"]}
    assert kinds.get(1) == {"crash"} and kinds.get(2) == {"memory"}, kinds
    assert summary["child_restarts"] >= 1
    assert summary["child_rlimit_as"] == [MEMORY_CAP]


def test_fuzz_500_cases(seed_dir, tmp_path):
    summary = fuzzing.run_campaign(RUN_SEED, CASES, workers=min(2, os.cpu_count() or 1), memory_cap=MEMORY_CAP, timeout=HANG,
                                   work_dir=tmp_path, seed_dir=seed_dir)
    assert summary["cases"] == CASES
    assert set(summary["per_class"]) == set(fuzzing.CLASSES)
    assert min(summary["per_class"].values()) >= 10, summary["per_class"]
    assert summary["child_rlimit_as"] == [MEMORY_CAP]
    assert not summary["failures"], fuzzing.describe_failures(summary)
