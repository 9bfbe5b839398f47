"""The public corpus of real Mule XML: nothing crashes, hand counts agree.

The corpus lives outside the repository (its licences forbid copying it in);
these tests skip when it is absent.
"""

from __future__ import annotations

import pytest

from kit.portfolio import Inventory, take_inventory
from tests.conftest import MULE_CORPUS

pytestmark = pytest.mark.skipif(
    not MULE_CORPUS.is_dir(), reason="public Mule corpus not present"
)


@pytest.fixture(scope="module")
def corpus() -> Inventory:
    return take_inventory([MULE_CORPUS])


def _jobs_in(inventory: Inventory, app: str, file: str) -> list[tuple]:
    return [
        (job.flow, job.batch_job, job.trigger.kind, job.trigger.frequency_ms)
        for job in inventory.jobs
        if job.app == app and job.file == file
    ]


def test_every_xml_file_is_accounted_for(corpus: Inventory) -> None:
    """Each corpus XML file yields a flow, a job or a finding, or holds no flow."""
    seen = {(flow.app, flow.file) for flow in corpus.flows}
    seen |= {(finding.app, finding.file) for finding in corpus.findings}
    for path in MULE_CORPUS.rglob("*.xml"):
        app = path.parent.name
        text = path.read_text(errors="replace")
        if (app, path.name) not in seen:
            assert "<flow " not in text and ":job " not in text, path


def test_only_the_known_broken_file_is_an_xml_error(corpus: Inventory) -> None:
    """The one malformed corpus file is reported with its line; no other parse error."""
    broken = [f for f in corpus.findings if f.code == "xml-invalid"]
    assert [(f.file, f.line) for f in broken] == [
        ("modules__ROOT__examples__mq-tutorial.xml", 12)
    ]
    assert "column 97" in broken[0].message


def test_mule3_batch_execute_reaches_a_job_in_another_file(corpus: Inventory) -> None:
    """A Mule 3 poll flow runs the top-level batch job defined in another file."""
    app = "mulesoft-assets__template-db2sfdc-account-broadcast"
    assert _jobs_in(corpus, app, "src__main__app__endpoints.xml") == [
        ("triggerFlow", "syncAccountsBatch", "fixed-frequency", None)
    ]
    job = next(j for j in corpus.jobs if j.app == app and j.flow == "triggerFlow")
    assert [step.step for step in job.steps] == [
        "getAccountInSalesforceStep",
        "upsertAccountsInSalesforceStep",
    ]
    assert {step.file for step in job.steps} == {"src__main__app__businessLogic.xml"}


def test_mule4_flow_ref_reaches_a_batch_job_in_another_file(corpus: Inventory) -> None:
    """A Mule 4 scheduler reaches a batch job through a flow-ref across files."""
    app = "mulesoft-assets__template-db2sfdc-account-broadcast"
    assert _jobs_in(corpus, app, "src__main__mule__endpoints.xml") == [
        ("schedulerFlow", "syncAccountsBatch", "fixed-frequency", None)
    ]


def test_mule3_batch_job_with_its_own_polled_input(corpus: Inventory) -> None:
    """A top-level batch job whose input polls every 30 s is a job of its own."""
    jobs = _jobs_in(
        corpus, "djuang1__mule-example-clear-watermark", "src__main__app__watermark.xml"
    )
    assert jobs == [
        ("clearWatermark", None, "request", None),
        ("batchProcessRecords", "batchProcessRecords", "fixed-frequency", 30000),
    ]


def test_quartz_global_endpoint_through_ref(corpus: Inventory) -> None:
    """A Quartz inbound endpoint takes its 1 ms repeat interval from a global one."""
    file = (
        "mule-migration-tool-library__src__test__resources__mule__apps__quartz__"
        "quartz-inbound-04-original.xml"
    )
    jobs = _jobs_in(corpus, "mulesoft__mule-migration-assistant", file)
    assert jobs == [("flow", None, "fixed-frequency", 1)]


def test_untriggered_batch_jobs_are_findings_not_jobs(corpus: Inventory) -> None:
    """Three Mule 3 batch jobs behind a dynamic execute give no job but findings."""
    file = (
        "mule-migration-tool-e2e-tests__src__test__resources__e2e__batch__batch2__"
        "input__src__main__app__mule-config.xml"
    )
    app = "mulesoft__mule-migration-assistant"
    assert _jobs_in(corpus, app, file) == []
    untriggered = {
        f.line
        for f in corpus.findings
        if f.file == file and f.code == "batch-job-not-triggered"
    }
    assert len(untriggered) == 3


def test_polling_listeners_and_test_namespaces(corpus: Inventory) -> None:
    """db:listener polls are listeners with their schedules; petstore is tolerated."""
    jobs = _jobs_in(
        corpus,
        "mulesoft__mule-integration-tests",
        "dsl__src__test__resources__ast__parameters-test-config.xml",
    )
    assert jobs == [
        ("schedulerFlowFixed", None, "fixed-frequency", 50000),
        ("dbSchedulerFlowCron", None, "listener", None),
        ("dbSchedulerFlowFixed", None, "listener", 50000),
    ]


def test_anypoint_mq_subscriber_is_a_message_trigger(corpus: Inventory) -> None:
    """A subscriber with a nested polling setting still streams."""
    jobs = _jobs_in(
        corpus,
        "avioconsulting__mule-opentelemetry-module",
        "mule-module__src__test__resources__anypoint-mq-flows.xml",
    )
    assert jobs == [
        ("anypoint-mq-flowsFlow1", None, "request", None),
        ("anypoint-mq-flowsFlow", None, "message", None),
    ]
