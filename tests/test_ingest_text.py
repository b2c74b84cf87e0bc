import pytest

from pipelines.ingest.text import decode, parse_dates, read_table
from recommender.errors import InputError

CONN = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
PREAMBLE = 'Notes:\n"When exporting your connection data, you may notice ..."\n\n'


def table(text, required=("First Name", "Last Name", "Connected On"), optional=("Company",)):
    return read_table(text, "Connections.csv", list(required), list(optional))


def test_empty_file():
    with pytest.raises(InputError, match="Connections.csv: the file is empty"):
        decode(b"  \n", "Connections.csv")


def test_not_utf8_is_detected_and_reported():
    report: list[str] = []
    data = b"name,n\nok,1\n" + "café Jørgensen,2\n".encode("cp1252")
    assert decode(data, "x.csv", report) == "name,n\nok,1\ncafé Jørgensen,2\n"
    assert report == ["x.csv: not UTF-8, read as cp1252 (detected by charset-normalizer)"]


def test_binary_that_is_not_utf8_names_the_line():
    with pytest.raises(InputError) as err:
        decode(b"a,b\nok,1\n" + b"\xe9\x00\x01,2\n", "x.csv")
    assert str(err.value).startswith("x.csv, line 3: not UTF-8 text (byte 0xe9)")


def test_nul_bytes_are_refused_with_line():
    with pytest.raises(InputError, match="x.csv, line 2: contains NUL bytes"):
        decode(b"a,b\n1,\x002\n", "x.csv")


def test_utf16_with_bom_and_utf8_bom_decode():
    assert decode("a\tb\n1\t2\n".encode("utf-16"), "x") == "a\tb\n1\t2\n"
    assert decode(b"\xef\xbb\xbfa,b\n", "x") == "a,b\n"


def test_header_found_below_preamble_and_empty_rows_dropped():
    text = (
        PREAMBLE
        + CONN
        + '\nAna,Lima,,,Acme,Eng,04 Jul 2023\n,,,,,,\n\nBo,"Chen, MBA",,,,,05 Jul 2023'
    )
    t = table(text)
    assert t.header_line == 4
    assert t.frame["Last Name"].to_list() == ["Lima", "Chen, MBA"]
    assert t.dropped_empty == 2
    assert t.line_of_row(1) == 8


def test_case_insensitive_header_crlf_and_na_fillers():
    text = "first name,LAST NAME,Company,Connected On\r\nAna,Lima,NA,18-Jun-24\r\n"
    frame = parse_dates(table(text), ["Connected On"])
    assert frame["Company"].to_list() == [None]
    assert str(frame["Connected On"][0]) == "2024-06-18 00:00:00"


def test_wrong_columns_name_what_was_expected():
    with pytest.raises(InputError) as err:
        table("Name,Org,When\nAna,Acme,2020\n")
    message = str(err.value)
    assert message.startswith("Connections.csv, line 1: expected")
    assert "First Name, Last Name, Connected On" in message
    assert "found columns: Name, Org, When" in message


def test_unparseable_date_skips_the_row_naming_line_and_value():
    text = CONN + '\nAna,Lima,,,"Acme\nInc",Eng,04 Jul 2023\nBo,Chen,,,,,someday\n'
    t = table(text)
    parsed = parse_dates(t, ["Connected On"])
    assert parsed["First Name"].to_list() == ["Ana"]
    assert t.notes[0].startswith(
        "Connections.csv: 1 unreadable row skipped (line 4: Connected On 'someday' is not a date"
    )
    # a file whose rows are mostly unreadable fails, naming the first bad line
    worse = CONN + "\nAna,Lima,,,,,soon\nBo,Chen,,,,,someday\nCy,Do,,,,,04 Jul 2023\n"
    with pytest.raises(InputError) as err:
        parse_dates(table(worse), ["Connected On"])
    assert str(err.value).startswith(
        "Connections.csv, line 2: 2 of 3 rows cannot be read; the first: Connected On 'soon'"
    )


def test_truncated_inside_a_quote_is_reported():
    text = CONN + '\nAna,Lima,,,Acme,"Eng\n'
    with pytest.raises(InputError) as err:
        parse_dates(table(text), ["Connected On"], required=["Connected On"])
    assert "Connections.csv, line" in str(err.value)


def test_a_row_with_extra_fields_is_skipped_with_its_line():
    text = (
        "First Name,Last Name,Connected On\nAna,Lima,2020\nBo,Chen,2021,extra,more\n"
        'Cy,"Do\nRe",2022\n'
    )
    t = table(text)
    assert t.frame["First Name"].to_list() == ["Ana", "Cy"]
    assert t.rows_skipped == 1
    assert t.notes == [
        "Connections.csv: 1 unreadable row skipped (line 3: row has 5 fields, the header has 3)"
    ]
    assert t.line_of_row(1) == 4  # the rows after it still map to their lines
    only = "First Name,Last Name,Connected On\nBo,Chen,2021,extra,more\n"
    with pytest.raises(InputError) as err:
        table(only)
    assert str(err.value) == "Connections.csv, line 2: row has 5 fields, the header has 3"
