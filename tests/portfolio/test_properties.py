"""Property files and placeholders: secrets masked, escapes read, nesting resolved."""

from __future__ import annotations

import pytest

from kit.portfolio.properties import (
    MASK,
    MAX_RESOLVE_PASSES,
    MAX_RESOLVED_CHARS,
    Properties,
    looks_secret,
    mask_url_credentials,
    read_properties_text,
)


@pytest.mark.parametrize(
    "key",
    [
        "db.pwd",
        "ftp.passwd",
        "smtp.pass",
        "oauth.client_secret",
        "sfdc.token",
        "maps.apikey",
        "maps.api-key",
        "maps.api_key",
        "aws.credential",
        "aws.credentials",
        "signing.private key",
    ],
)
def test_credential_keys_look_secret(key: str) -> None:
    """Every common spelling of a credential key counts as secret."""
    assert looks_secret(key)


@pytest.mark.parametrize("key", ["orders.cron", "http.path", "db.host"])
def test_ordinary_keys_do_not_look_secret(key: str) -> None:
    """Keys that name no credential are shown as they are."""
    assert not looks_secret(key)


def test_a_password_key_spelled_pwd_is_masked_when_resolved() -> None:
    """The value behind ``${db.pwd}`` never appears in the resolved text."""
    resolution = Properties({"db.pwd": "hunter2"}).resolve("pwd=${db.pwd}")

    assert resolution.text == f"pwd={MASK}"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "https://admin:hunter2@api.example.com/x",
            "https://admin:****@api.example.com/x",
        ),
        ("https://bob:p@ss@host/x", "https://bob:****@host/x"),
        ("ftp://bob:a/b@host/", "ftp://bob:****@host/"),
        ("sftp://bob:a/b@c@host:22/in", "sftp://bob:****@host:22/in"),
        ("see http://h/a and ftp://u:p/q@h2/b", "see http://h/a and ftp://u:****@h2/b"),
        ("https://api.example.com:8443/orders", "https://api.example.com:8443/orders"),
        ("https://bob@host/x", "https://****@host/x"),
    ],
)
def test_url_credentials_are_masked_up_to_the_last_at(url: str, masked: str) -> None:
    """The whole password is hidden, even when it holds ``@`` or ``/``."""
    assert mask_url_credentials(url) == masked


def test_escaped_colons_in_a_value_are_read_as_colons() -> None:
    """A URL written with ``\\:`` escapes reads as the plain URL."""
    values = read_properties_text("api.url=http\\://host\\:8081/x\n")

    assert values == {"api.url": "http://host:8081/x"}


def test_every_single_character_escape_yields_its_character() -> None:
    """Backslash before a separator, comment mark or itself gives that character."""
    values = read_properties_text("k\\ e\\=y\\:=\\#\\!\\\\\\ x\\q\n")

    assert values == {"k e=y:": "#!\\ xq"}


def test_control_and_unicode_escapes_are_decoded() -> None:
    """``\\t \\n \\r \\f`` are control characters and ``\\uXXXX`` a code point."""
    values = read_properties_text("a=1\\t2\\n3\\r4\\f5\nb=caf\\u00e9 \\uD83D\\uDE00\n")

    assert values == {"a": "1\t2\n3\r4\f5", "b": "café 😀"}


def test_a_line_ending_in_an_odd_number_of_backslashes_continues() -> None:
    """A continued line joins the next without its indent; an even count ends it."""
    text = "list=a,\\\n    b,\\\n\tc\nwin=C:\\\\\nnext=1\n"

    assert read_properties_text(text) == {"list": "a,b,c", "win": "C:\\", "next": "1"}


def test_continuation_lines_starting_with_a_hash_are_not_comments() -> None:
    """Only a line's own first character makes it a comment, not a continued one's."""
    text = "# note \\\nreal=1\nmessage=hello \\\n  # world\n"

    assert read_properties_text(text) == {"real": "1", "message": "hello # world"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("key=value", {"key": "value"}),
        ("key : value", {"key": "value"}),
        ("key value", {"key": "value"}),
        ("key\t= = value", {"key": "= value"}),
        ("key=a=b:c", {"key": "a=b:c"}),
        ("  key", {"key": ""}),
        ("  ! comment", {}),
        ("url=${base}", {"url": "${base}"}),
    ],
)
def test_keys_end_at_the_first_unescaped_separator(line: str, expected: dict) -> None:
    """A key stops at ``=``, ``:`` or whitespace; one separator is then skipped."""
    assert read_properties_text(line + "\r\n") == expected


def test_a_placeholder_inside_a_value_is_resolved() -> None:
    """A value that refers to another key reads through to that key's value."""
    props = Properties({"base.url": "https://h", "orders.url": "${base.url}/orders"})

    resolution = props.resolve("${orders.url}?page=1")

    assert resolution.text == "https://h/orders?page=1"
    assert resolution.unresolved == []


def test_a_nested_key_is_resolved_from_the_inside_out() -> None:
    """``${${env}.path}`` picks the path of the environment named by ``env``."""
    props = Properties({"env": "prod", "prod.path": "/p", "dev.path": "/d"})

    assert props.resolve("${${env}.path}").text == "/p"


def test_a_secret_reached_through_another_key_is_still_masked() -> None:
    """A non-secret key whose value names a secret key shows the mask."""
    props = Properties({"db.url": "jdbc:x://u:${db.password}@h", "db.password": "pw"})

    assert props.resolve("${db.url}").text == f"jdbc:x://u:{MASK}@h"


def test_a_cycle_stops_and_is_reported_unresolved() -> None:
    """Keys that refer to each other end after the pass bound, not in a loop."""
    props = Properties({"a": "${b}", "b": "${a}", "self": "x${self}"})

    for text in ("${a}", "${self}"):
        resolution = props.resolve(text)

        assert "${" in resolution.text
        assert resolution.unresolved in (["a"], ["b"], ["self"])


def _chain(links: int) -> Properties:
    """Keys k0..kN, each naming the next, the last holding ``end``."""
    values = {f"k{n}": "${k" + str(n + 1) + "}" for n in range(links)}
    values[f"k{links}"] = "end"
    return Properties(values)


def test_a_chain_within_the_pass_bound_resolves() -> None:
    """A chain needing exactly the bound's passes resolves; one more link does not."""
    assert _chain(MAX_RESOLVE_PASSES - 1).resolve("${k0}").text == "end"

    last = f"k{MAX_RESOLVE_PASSES}"
    longer = _chain(MAX_RESOLVE_PASSES).resolve("${k0}")
    assert longer.text == "${" + last + "}" and longer.unresolved == [last]


def test_a_self_multiplying_value_stops_at_the_size_bound() -> None:
    """A key that expands to many copies of itself stays under the size bound."""
    props = Properties({"boom": "${boom}" * 100})

    resolution = props.resolve("${boom}")

    assert len(resolution.text) <= MAX_RESOLVED_CHARS
    assert resolution.unresolved == ["boom"]


def test_a_default_is_used_only_when_the_key_is_missing() -> None:
    """``${key:default}`` gives the key's value when present, else the default."""
    props = Properties({"orders.limit": "500"})

    resolution = props.resolve("${orders.limit:10}/${orders.page:1}/${empty:}")

    assert resolution.text == "500/1/"
    assert resolution.unresolved == []


def test_a_default_may_hold_colons_and_placeholders() -> None:
    """Only the first colon splits; placeholders in the default are resolved."""
    props = Properties({"host": "h"})

    assert props.resolve("${url:http://${host}:80}").text == "http://h:80"


def test_a_secret_key_with_a_default_shows_the_mask() -> None:
    """A credential's default value is as secret as the credential itself."""
    assert Properties({}).resolve("${db.password:changeit}").text == MASK


def test_secure_and_file_prefixes_are_not_read_as_defaults() -> None:
    """``secure::`` stays as written and is not missing; ``file::`` is missing whole."""
    props = Properties({"secure": "x", "file": "y"})

    resolution = props.resolve("${secure::db.password}|${file::notes.txt}")

    assert resolution.text == "${secure::db.password}|${file::notes.txt}"
    assert resolution.unresolved == ["file::notes.txt"]


def test_a_port_before_a_path_with_an_at_is_not_a_password() -> None:
    """http://host:8080/a@b keeps its port and path: nothing there is secret."""
    assert mask_url_credentials("http://h:8080/u@x") == "http://h:8080/u@x"


def test_a_byte_order_mark_is_not_part_of_the_first_key() -> None:
    """A file saved with a BOM still names its first key plainly."""
    assert read_properties_text("\ufeffapi.host=h\n") == {"api.host": "h"}


def test_masking_stops_at_the_query_and_at_the_next_address() -> None:
    """An @ in the query or in a second address of a list is not a password's end."""
    assert mask_url_credentials("https://u:pw@h/cb?next=a@b.com") == (
        "https://u:****@h/cb?next=a@b.com"
    )
    assert mask_url_credentials("tcp://u:p@h1,tcp://v:q@h2") == (
        "tcp://u:****@h1,tcp://v:q@h2"
    )
