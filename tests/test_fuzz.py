"""Mutation fuzzing: 500 seed-fixed cases over every input the CLI reads, and not one may fail.

The cases (tests/fuzzing.py) mutate the bundled example workbook, a blank workbook, the example
JSON, an .ods (and an .xls and a LibreOffice-saved .xlsx when LibreOffice is installed), the
published HTML / text / PDF / Word reports and the Word template: byte flips, truncation, zip
headers that lie, XML inside the zip entries (huge references, repeated rows in the millions,
entities, deep nesting, odd numbers and texts), JSON, HTML, PDF and template payloads, a clerk's
edits (merges, a sheet named 问题清单, a long agency name), the .xls compound file and its
records, output paths that are no regular file, a lost stdout, and file names with line
breaks. Each runs one command in a child process capped by RLIMIT_AS, so an allocation bomb
fails the case, not the machine. A failure means a traceback, an exit code outside {0, 1, 2},
a changed input or output target, a leftover file, or an exit 2 without one "错误：" line (see
the module docstring for all). Besides the 500, every family of failures an earlier fuzz run
found gets its mutators run a few times (FAMILY_MUTATORS).

To look into a failure: the assertion message names the case (index, class, mutator, command);
``python scripts/fuzz.py --seed 20250131 --first N --cases 1 --out DIR`` writes its reproducer
(for a case of the families, add ``--mutators`` and the FAMILY_MUTATORS, comma-separated).
"""

from __future__ import annotations

import os
import re

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


# the families of failures a fuzz run outside this harness found (fixed in a64939c..711f0d4), one
# mutator or more each; every test run gives each a few cases, whatever the schedule gives the 500
FAMILY_MUTATORS = [
    "edit:sst-count-calamine",  # a shared-string table declaring billions of strings, read by calamine
    "json:year", "json:agency",  # "year": 1e999999, 5000 digits, "²"; an agency past 255 characters
    "edit:long-agency",
    "edit:merge-over", "edit:merge-word",  # merges over the whole sheet or an input; the word mergeCell before them
    "edit:clerk-sheet",  # a sheet of the clerk's own named 问题清单
    "zip:version", "bytes:zip-header",  # a zip entry that needs a newer zip (NotImplementedError)
    "ole:header", "ole:directory", "ole:biff-length", "ole:biff-field", "ole:biff-record",  # the .xls structure
    "ole:fat", "ole:biff-dimensions",  # allocation chains in a loop, sheets claiming billions of cells: calamine aborts
    "output:fifo", "output:null-device", "output:full-device", "output:socket", "output:directory", "output:bad-name",
    "output:disk-full", "output:stdout-closed", "output:stdout-full", "output:stdout-broken-pipe",
    "output:stdout-lost-after-writing",  # the file written whole, then its announcement lost
    "names:input-name",  # a file name with a line break or an escape sequence
    "names:output-name", "names:damaged-input-name",  # the same in an output's name, in a reader's message
    "edit:merge-comment",  # <mergeCells/> in a comment before the real merges
    "output:disk-full-office",  # a full disk while xlsxwriter, openpyxl or python-docx writes
]
FAMILY_CASES = 3


def test_each_family_of_earlier_findings(seed_dir, tmp_path):
    """The mutators in turn, FAMILY_CASES cases each: none falls back to byte flips, none fails."""
    assert not set(FAMILY_MUTATORS) & set(fuzzing.PENDING), "a known failure cannot pass here"
    summary = fuzzing.run_campaign(RUN_SEED, FAMILY_CASES * len(FAMILY_MUTATORS), workers=min(2, os.cpu_count() or 1), memory_cap=MEMORY_CAP,
                                   timeout=HANG, work_dir=tmp_path, seed_dir=seed_dir, mutators=FAMILY_MUTATORS)
    ran = summary["per_mutator"]
    assert not [m for m in ran if "harness-fallback" in m], ran
    # a mutator applied twice in one case is counted as "name x2"; output:disk-full is a prefix of output:disk-full-office
    assert all(sum(n for k, n in ran.items() if re.fullmatch(re.escape(m) + r"(x[0-9]+)?", k)) == FAMILY_CASES for m in FAMILY_MUTATORS), ran
    assert not summary["failures"], fuzzing.describe_failures(summary)


def test_fuzz_500_cases(seed_dir, tmp_path):
    summary = fuzzing.run_campaign(RUN_SEED, CASES, workers=min(2, os.cpu_count() or 1), memory_cap=MEMORY_CAP, timeout=HANG,
                                   work_dir=tmp_path, seed_dir=seed_dir)
    assert summary["cases"] == CASES
    assert set(summary["per_class"]) == set(fuzzing.CLASSES)
    assert min(summary["per_class"].values()) >= 10, summary["per_class"]
    assert summary["child_rlimit_as"] == [MEMORY_CAP]
    assert not summary["failures"], fuzzing.describe_failures(summary)
