"""junit.xml keeps every mpconform verdict visible to CI systems that only know four outcomes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from test_reports import document, result

from mpconform.reports import junit
from mpconform.reports.matrix import build

FAILING = ("FAIL", "TIMEOUT", "CRASH", "XPASS")
ERRORING = ("ERROR", "LEAK")
SKIPPING = ("UNSUPPORTED", "SKIP", "XFAIL")


def parsed(docs: list) -> ET.Element:
    return ET.fromstring(junit.render(build(docs)))


def test_every_status_maps_to_its_junit_outcome_and_keeps_its_name() -> None:
    statuses = ("PASS", *FAILING, *ERRORING, *SKIPPING)
    rows = [
        result(f"feature_{s.lower()}", "billiard", "spawn", s, line=i, message=f"why {s}")
        for i, s in enumerate(statuses)
    ]
    root = parsed([document(rows)])
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "billiard-spawn-py3.12"
    assert (suite.get("tests"), suite.get("failures")) == ("10", "4")
    assert (suite.get("errors"), suite.get("skipped")) == ("2", "3")
    assert root.get("tests") == "10" and root.get("failures") == "4"
    for case in suite.findall("testcase"):
        status = case.find("properties/property[@name='mpconform.status']").get("value")
        assert case.get("name") == f"feature_{status.lower()}"
        outcome = [child.tag for child in case if child.tag != "properties"]
        expected = (
            ["failure"]
            if status in FAILING
            else ["error"]
            if status in ERRORING
            else ["skipped"]
            if status in SKIPPING
            else []
        )
        assert outcome == expected, status
        if outcome:
            element = case.find(outcome[0])
            assert element.get("type") == status
            assert element.get("message") == f"{status}: why {status}"


def test_one_suite_per_column_and_hostile_text_survives() -> None:
    hostile = 'x <y> & "z" \x00\x1b end'
    docs = [
        document(
            [
                result("a", "stdlib", "fork", "FAIL", message=hostile, example="f(x=1)"),
                result("a", "stdlib", "spawn"),
            ]
        ),
        document([result("a", "stdlib", "fork")], python="3.11.2"),
    ]
    root = parsed(docs)
    names = [s.get("name") for s in root.findall("testsuite")]
    assert sorted(names) == ["stdlib-fork-py3.11", "stdlib-fork-py3.12", "stdlib-spawn-py3.12"]
    failure = root.find("testsuite[@name='stdlib-fork-py3.12']/testcase/failure")
    assert failure.get("message") == 'FAIL: x <y> & "z"  end'
    assert "Falsifying example:\nf(x=1)" in failure.text
