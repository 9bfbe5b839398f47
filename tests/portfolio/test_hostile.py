"""Hostile apps: flow-ref chains built to explode, and credentials in URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.portfolio import StrictStop, take_inventory
from kit.portfolio.wiring import MAX_FLOW_REF_DEPTH, MAX_FLOW_REFS_FOLLOWED

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:http="http://www.mulesoft.org/schema/mule/http">
<flow name="job">
  <scheduler><scheduling-strategy><fixed-frequency frequency="60000"/>
  </scheduling-strategy></scheduler>
  <flow-ref name="level0"/>
</flow>
"""


def _app(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "hostile" / "src" / "main" / "mule"
    folder.mkdir(parents=True)
    (folder / "app.xml").write_text(HEADER + body + "</mule>\n", encoding="utf-8")
    return tmp_path / "hostile"


def _chain(levels: int, refs_per_level: int) -> str:
    """Sub-flows level0..levelN, each calling the next ``refs_per_level`` times."""
    parts = []
    for level in range(levels):
        refs = f'<flow-ref name="level{level + 1}"/>' * refs_per_level
        parts.append(f'<sub-flow name="level{level}">{refs}</sub-flow>')
    parts.append(
        f'<sub-flow name="level{levels}"><http:request method="GET" path="/x"/>'
        "</sub-flow>"
    )
    return "\n".join(parts)


def test_a_doubling_chain_stops_at_the_bound_with_a_finding(tmp_path) -> None:
    """Twenty-four levels that each call the next twice (16 million paths) stop
    after the bound on flow-refs followed, with a warning naming the job."""
    inventory = take_inventory([_app(tmp_path, _chain(24, 2))])

    [job] = inventory.jobs
    [finding] = [f for f in inventory.findings if f.code == "job-too-large"]
    assert f"more than {MAX_FLOW_REFS_FOLLOWED:,} flow-refs" in finding.message
    assert finding.severity == "warning" and "'job'" in finding.message
    assert 0 < len(job.calls) <= MAX_FLOW_REFS_FOLLOWED


def test_a_chain_too_deep_stops_without_overflowing_the_stack(tmp_path) -> None:
    """Six hundred nested sub-flows give a finding, not a RecursionError."""
    inventory = take_inventory([_app(tmp_path, _chain(600, 1))])

    [finding] = [f for f in inventory.findings if f.code == "job-too-large"]
    assert f"nest more than {MAX_FLOW_REF_DEPTH} deep" in finding.message
    assert len(inventory.jobs[0].calls) == 0


def test_a_chain_within_the_bounds_counts_every_call(tmp_path) -> None:
    """Ten levels calling the next twice reach the request 1,024 times."""
    inventory = take_inventory([_app(tmp_path, _chain(10, 2))])

    assert len(inventory.jobs[0].calls) == 1024
    assert not [f for f in inventory.findings if f.code == "job-too-large"]


def test_a_password_in_a_url_never_reaches_a_finding(tmp_path) -> None:
    """An unresolved placeholder's message masks the URL's password."""
    body = (
        '<sub-flow name="level0"><http:request method="GET" '
        'url="https://admin:hunter2@api.example.com/${missing.path}"/></sub-flow>'
    )

    inventory = take_inventory([_app(tmp_path, body)])

    messages = [f.message for f in inventory.findings]
    assert any("admin:****@api.example.com" in message for message in messages)
    assert not any("hunter2" in message for message in messages)
    assert "hunter2" not in str(inventory.to_json())


def test_elements_nested_past_the_bound_say_so_in_plain_words(tmp_path) -> None:
    """Three hundred nested elements are refused with the bound, not libxml2's words."""
    deep = tmp_path / "deep.xml"
    deep.write_text("<a>" * 300)

    [finding] = take_inventory([deep]).findings

    assert finding.code == "xml-invalid"
    assert "nest more than 256 deep" in finding.message
    assert "XML_PARSE_HUGE" not in finding.message


def test_strict_stop_names_a_file_without_a_line_cleanly(tmp_path) -> None:
    """A finding with no line (a file that cannot be read) reads file: message."""
    (tmp_path / "gone.xml").symlink_to(tmp_path / "nowhere.xml")

    with pytest.raises(StrictStop) as stopped:
        take_inventory([tmp_path], strict=True)

    assert ":None" not in str(stopped.value)
    assert "gone.xml: cannot read" in str(stopped.value)
