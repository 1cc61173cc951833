"""The statement's MPPS and Storage Commitment sections say what the code does (issue 14, item 7)."""

from __future__ import annotations

import pytest
from pydicom.datadict import dictionary_description

from smartbox_next.config import Config, config_from_mapping
from smartbox_next.conformance import render_statement, workflow
from smartbox_next.net.mpps import STATUS_ROWS


@pytest.fixture(scope="module")
def statement() -> str:
    return render_statement(Config(), "md", "en", defaults=True)


def test_the_overview_names_both_services_and_the_scp_role(statement: str) -> None:
    overview = statement.split("Table 1-2.")[1].split("## ")[0]
    assert "| Modality Performed Procedure Step | yes | no |" in overview
    assert "| Storage Commitment Push Model | yes (with the SCP role for N-EVENT-REPORT) | no |" in overview
    assert "| Verification | yes | yes (listener) |" in overview


def test_every_attribute_of_the_mpps_messages_is_in_table_5_6(statement: str) -> None:
    table = statement.split("Table 5-6.")[1].split("Table 5-7.")[0]
    for path, tag, _sources, _set in workflow._attribute_rows():
        assert f"{dictionary_description(tag)} ({tag >> 16:04X},{tag & 0xFFFF:04X})" in table, path
    for keyword in ("ScheduledStepAttributesSequence", "PerformedSeriesSequence", "ReferencedImageSequence"):
        assert any(p.split(">")[-1] == keyword for p, *_ in workflow._attribute_rows())


def test_status_tables_come_from_the_classifiers(statement: str) -> None:
    mpps = statement.split("Table 5-7.")[1].split("### 5.4")[0]
    assert all(r.codes in mpps for r in STATUS_ROWS) and all(f"`{r.key}`" in mpps for r in STATUS_ROWS if r.key)
    action = statement.split("Table 5-9.")[1].split("### 5.5")[0]
    assert "`commitment.request_busy`" in action and "`commitment.request_refused`" in action


def test_listener_and_roles_in_network_and_security(statement: str) -> None:
    assert "Table 7-2b." in statement and "Role Selection accepted" in statement
    assert "1.2.840.10008.1.20.1" in statement.split("Table 7-2.")[1].split("Table 7-2b.")[0]  # proposed as SCU
    configured = render_statement(config_from_mapping({"listener": {"port": 11113}, "peers": {
        "pacs": {"address": "PACS@10.1.2.3:104", "roles": ["storage", "commitment"]},
        "ris": {"address": "RIS@10.1.2.9:104", "roles": ["mpps"]}}}), "md", "en")
    assert "now: 11113" in configured and "(now: pacs)" in configured and "(now: ris)" in configured
    de = render_statement(Config(), "md", "de", defaults=True)
    assert "Modality Performed Procedure Step SCU" in de and "Speicherbestätigung" in de
