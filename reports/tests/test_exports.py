"""Exports (CSV, XLSX, PDF), formula neutralising, the command, and what each viewer's export holds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from reports.exports import neutralise
from reports.tests.conftest import D, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_day_d():
    with time_machine.travel(at(D), tick=False):
        yield


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("Smith", "Smith"),
        ("a=b", "a=b"),
        (-2, -2),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_team_csv_holds_only_the_managers_people_with_their_states(client, org):
    client.force_login(org.lee)
    response = client.get(reverse("reports_team_export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="team-compliance-2026-06-15.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert {r["Email"] for r in rows} == {f"p{i}@example.com" for i in range(1, 6)}
    assert {(r["Email"], r["Course code"]): r["State"] for r in rows}[("p3@example.com", "CODE")] == "Exempt"
    assert len(rows) == 8


def test_csv_and_xlsx_neutralise_formula_cells(client, org):
    person = org.p[0]
    person.last_name = '=HYPERLINK("http://evil")'
    person.first_name = "@cmd"
    person.save()
    client.force_login(org.admin)
    rows = csv_rows(client.get(reverse("reports_organisation_export", args=["csv"])))
    row = next(r for r in rows if r["Email"] == person.email)
    assert row["Last name"] == '\'=HYPERLINK("http://evil")'
    assert row["First name"] == "'@cmd"
    response = client.get(reverse("reports_organisation_export", args=["xlsx"]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    people = workbook["People"]
    values = [c for row in people.iter_rows(values_only=True) for c in row]
    assert '\'=HYPERLINK("http://evil")' in values
    assert '=HYPERLINK("http://evil")' not in values
    assert set(workbook.sheetnames) >= {"Report", "By course", "By department", "People"}
    by_course = list(workbook["By course"].iter_rows(values_only=True))
    assert by_course[-1][:3] == ("Everyone", 11, pytest.approx(0.333))


def test_xlsx_from_a_page_carries_the_first_rows_and_says_so(client, org, monkeypatch, tmp_path):
    from reports import exports

    monkeypatch.setattr(exports, "XLSX_DETAIL_ROWS", 3)
    client.force_login(org.admin)
    response = client.get(reverse("reports_organisation_export", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    people = list(workbook["People"].iter_rows(values_only=True))
    # the header, the first 3 of the 11 rows in the export's order, and a last row saying so
    assert len(people) == 5
    assert [row[2] for row in people[1:4]] == ["olly@example.com", "p1@example.com", "p1@example.com"]
    note = "Only the first 3 of 11 rows: the CSV export has every row."
    assert people[-1][0] == note
    assert note in [row[0] for row in workbook["Report"].iter_rows(values_only=True)]
    # the command writes every row
    output = tmp_path / "report.xlsx"
    call_command("compliance_report", "--format", "xlsx", "--output", str(output))
    assert len(list(load_workbook(output, read_only=True)["People"].iter_rows(values_only=True))) == 12


def test_pdf_has_organisation_date_filters_page_numbers_table_and_chart(client, org, settings):
    settings.ORGANISATION_NAME = "Acme Logistics"
    client.force_login(org.admin)
    response = client.get(reverse("reports_organisation_export", args=["pdf"]), {"department": str(org.ops.pk)})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Acme Logistics" in text
    assert "Organisation compliance report" in text
    assert "15 Jun 2026" in text
    assert "Department = Operations" in text
    pages = re.search(r"Page 1 of (\d+)", text)
    assert pages and f"Page {pages[1]} of {pages[1]}" in text
    assert "Compliance % by course" in text  # the chart's title
    assert "Outsider" in text
    assert "Person1" not in text


def test_pdf_says_when_detail_rows_are_capped(client, org, monkeypatch):
    monkeypatch.setattr("reports.exports.PDF_DETAIL_ROWS", 3)
    client.force_login(org.admin)
    text = pdf_text(client.get(reverse("reports_organisation_export", args=["pdf"])).content)
    assert "The first 3 of 11 rows" in text


def test_every_report_exports_in_every_format(client, org):
    client.force_login(org.admin)
    for name, params in [
        ("reports_organisation_export", {}),
        ("reports_forecast_export", {}),
        ("reports_item_analysis_export", {"course": "SAFE"}),
    ]:
        for fmt in ("csv", "xlsx", "pdf"):
            response = client.get(reverse(name, args=[fmt]), params)
            assert response.status_code == 200, (name, fmt)
    assert client.get(reverse("reports_organisation_export", args=["doc"])).status_code == 404


def test_manager_export_of_another_team_is_not_possible(client, org):
    client.force_login(org.kim)
    rows = csv_rows(client.get(reverse("reports_team_export", args=["csv"]), {"scope": "all"}))
    assert {r["Email"] for r in rows} == {"q1@example.com", "q2@example.com"}


def test_command_writes_each_format(org, tmp_path):
    out = tmp_path / "report.csv"
    call_command("compliance_report", "--format", "csv", "--department", "operations", "--output", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["Email"] for r in rows] == ["olly@example.com"]
    pdf = tmp_path / "report.pdf"
    call_command("compliance_report", "--format", "pdf", "--output", str(pdf))
    assert "Organisation compliance report" in pdf_text(pdf.read_bytes())
    xlsx = tmp_path / "report.xlsx"
    call_command("compliance_report", "--format", "xlsx", "--output", str(xlsx), "--as-of", "2026-03-01")
    assert load_workbook(xlsx, read_only=True)["Report"]["B3"].value == dt.datetime(2026, 3, 1)


def test_command_refuses_bad_input(org):
    with pytest.raises(CommandError, match="No department"):
        call_command("compliance_report", "--department", "Nowhere")
    with pytest.raises(CommandError, match="--output"):
        call_command("compliance_report", "--format", "pdf")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("compliance_report", "--as-of", "1 March")


def test_a_state_filtered_team_export_holds_exactly_the_people_the_page_lists(client, org):
    """Outside eyes (and issue 13 item 1): the export said "State = Overdue" but held every state."""
    client.force_login(org.lee)
    params = {"state": "overdue"}
    page = client.get(reverse("reports_team_dashboard"), params)
    listed = {(row["learner__email"], row["course_code"]) for row in page.context["state_rows"]}
    rows = csv_rows(client.get(reverse("reports_team_export", args=["csv"]), params))
    assert {(r["Email"], r["Course code"]) for r in rows} == listed == {("p3@example.com", "SAFE")}
    assert {r["State"] for r in rows} == {"Overdue"}
    response = client.get(reverse("reports_team_export", args=["xlsx"]), params)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = {str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row}
    assert "p3@example.com" in cells
    assert not {"p1@example.com", "p2@example.com", "p4@example.com", "p5@example.com"} & cells


def test_xlsx_sheets_are_ready_to_work_in(client, org):
    """Issue 13 item 23: widths that fit, a frozen header with a filter, real dates and percentages."""
    client.force_login(org.admin)
    response = client.get(reverse("reports_organisation_export", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    people = workbook["People"]
    header = [c.value for c in people[1]]
    assert people.freeze_panes == "A2"
    assert people.auto_filter.ref == f"A1:L{people.max_row}"
    widths = {c.value: people.column_dimensions[c.column_letter].width for c in people[1]}
    for column, title in enumerate(header, start=1):
        shown = [people.cell(row, column) for row in range(1, people.max_row + 1)]
        longest = max(10 if c.is_date else len(str(c.value or "")) for c in shown)
        assert widths[title] >= min(longest, 58), title
    assert widths["Email"] < widths["Course"] + 20  # sized to the content, not one width for all
    due = header.index("Due date") + 1
    completed = header.index("Completed on") + 1
    p1_safe = next(r for r in people.iter_rows(min_row=2) if r[2].value == "p1@example.com" and r[6].value == "SAFE")
    assert isinstance(p1_safe[due - 1].value, dt.datetime) and p1_safe[due - 1].number_format == "yyyy-mm-dd"
    assert p1_safe[completed - 1].value == dt.datetime(2026, 3, 7)  # D-100, a date, not text
    assert p1_safe[completed - 1].number_format == "yyyy-mm-dd"
    by_course = workbook["By course"]
    assert by_course.freeze_panes == "A2"
    assert by_course.auto_filter.ref == f"A1:{by_course.cell(1, by_course.max_column).column_letter}{by_course.max_row}"
    everyone = by_course[by_course.max_row]
    assert everyone[0].value == "Everyone"
    assert everyone[2].value == pytest.approx(0.333) and everyone[2].number_format == "0.0%"
    assert everyone[1].number_format == "General"  # the count stays a count
    report = workbook["Report"]
    assert report["B3"].value == dt.datetime(2026, 6, 15) and report["B3"].number_format == "yyyy-mm-dd"


def test_an_overdue_export_follows_the_pages_order_and_carries_days_late(client, org):
    """Outside eyes 13 (D2): the CSV and XLSX of ?state=overdue were sorted by last name and
    without the page's Days late column; the PDF broke email addresses mid-word."""
    from lms.tests.factories import UserFactory
    from reports.tests.conftest import assign, days

    # given Abel, 2 days late: first by name, last by lateness
    abel = UserFactory(email="abel.able.learner@example.com", first_name="Abel", last_name="Able", manager=org.kim)
    assign(abel, org.safe, due=days(-2))
    client.force_login(org.director)
    params = {"scope": "all", "state": "overdue"}
    page = client.get(reverse("reports_team_dashboard"), params)
    listed = [(row["learner__email"], row["days_overdue"]) for row in page.context["state_rows"]]
    assert listed == [("p3@example.com", 10), ("q2@example.com", 3), (abel.email, 2)]
    # when it is exported as CSV: the page's rows, in its order, with its figure
    rows = csv_rows(client.get(reverse("reports_team_export", args=["csv"]), params))
    assert [(r["Email"], int(r["Days late"])) for r in rows] == listed
    # and as XLSX
    response = client.get(reverse("reports_team_export", args=["xlsx"]), params)
    people = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[-1]
    header, *body = list(people.iter_rows(values_only=True))
    assert header[-1] == "Days late"
    assert [(r[header.index("Email")], r[-1]) for r in body] == listed
    # and as PDF: every address whole on its line, in the page's order
    response = client.get(reverse("reports_team_export", args=["pdf"]), params)
    lines = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Days late" in lines
    found = [line for line in lines.splitlines() if "@" in line and "example" in line]
    assert [email for email, _ in listed] == [
        re.search(r"\S+@\S+", line)[0] for line in found if re.search(r"\S+@example\.com", line)
    ][: len(listed)]


def test_an_unfiltered_export_keeps_its_columns_and_name_order(client, org):
    client.force_login(org.director)
    rows = csv_rows(client.get(reverse("reports_team_export", args=["csv"]), {"scope": "all"}))
    assert "Days late" not in rows[0] and "Time left" not in rows[0]
    names = [(r["Last name"], r["First name"]) for r in rows]
    assert names == sorted(names)


def test_xlsx_percentages_are_the_figures_the_page_shows_without_float_noise(client, org):
    from reports.exports import _xlsx_value

    assert _xlsx_value(5.6, True) == (0.056, "0.0%")
    assert _xlsx_value(13.333333333, True)[0] == 0.1333
    client.force_login(org.admin)
    response = client.get(reverse("reports_organisation_export", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    for row in workbook["By course"].iter_rows(min_row=2):
        for cell in row:
            if cell.number_format == "0.0%" and isinstance(cell.value, float):
                assert cell.value == round(cell.value, 4), cell.value
