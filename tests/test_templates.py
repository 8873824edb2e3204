"""Message templates: the shipped folder renders and passes its check; every safeguard holds.

Broken folders are written into `tmp_path`, so each test shows the few lines it is about.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

import contactengine.templates
from contactengine.templates import (
    Rendered,
    TemplateError,
    TemplateProblem,
    TemplateSet,
    sms_segments,
)

VARIABLES: dict[str, Any] = {
    "first_name": "Ana",
    "creditor": "Acme Bank",
    "amount_due": "$412.50",
    "due_date": "June 15, 2026",
    "pay_url": "https://pay.example.com/a/123",
    "callback_number": "(800) 555-0100",
    "agent_name": "Maria Lopez",
    "plan_amount": "$50.00",
    "plan_schedule": "monthly on the 15th",
}
UNSUBSCRIBE = "https://example.com/unsubscribe?id=42&list=collections"
REQUIREMENTS: dict[tuple[str, str], set[str]] = {
    ("sms", "collection"): {"debt_collector_disclosure", "opt_out_notice"},
    ("email", "collection"): {"debt_collector_disclosure", "opt_out_notice"},
    ("call", "collection"): {"debt_collector_disclosure"},
    ("call", "limited_content"): set(),
}
SHIPPED = TemplateSet("templates")  # tests run from the repository root (conftest)
SHIPPED_VARIANTS = [
    pytest.param(kind, channel, language, id=f"{kind}-{channel}-{language}")
    for kind, info in sorted(SHIPPED.kinds().items())
    for channel, language in sorted(info.variants)
]

DISCLOSURES = {
    "disclosures/debt_collector_disclosure.en.j2": "This communication is from a debt collector.",
    "disclosures/opt_out_notice.sms.en.j2": "Reply STOP to stop texts to this number.",
    "disclosures/opt_out_notice.email.en.j2": "Unsubscribe: {{ unsubscribe_url }}",
}
COLLECTION = {"notice/kind.toml": 'purpose = "collection"\ndescription = "a test kind"\n'}


def folder(tmp_path: Path, files: Mapping[str, str], *, base: bool = True) -> TemplateSet:
    """A templates folder holding `files` (and, unless `base` is false, a few disclosures)."""
    for name, text in {**(DISCLOSURES | COLLECTION if base else {}), **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return TemplateSet(tmp_path)


def at(tmp_path: Path, name: str, line: int | None = None) -> str:
    return f"{tmp_path / name}:{line}" if line else str(tmp_path / name)


def render_error(templates: TemplateSet, *args: Any, **kwargs: Any) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        templates.render(*args, **kwargs)
    return caught.value


# The public surface


def test_public_names() -> None:
    assert sorted(contactengine.templates.__all__) == [
        "KindInfo",
        "Rendered",
        "TemplateError",
        "TemplateProblem",
        "TemplateSet",
        "sms_segments",
    ]
    assert issubclass(TemplateError, ValueError)


# The shipped templates


def test_shipped_kinds_and_purposes() -> None:
    kinds = SHIPPED.kinds()
    assert {name: info.purpose for name, info in kinds.items()} == {
        "first_notice": "collection",
        "payment_reminder": "collection",
        "payment_plan_confirmation": "collection",
        "limited_content_voicemail": "limited_content",
    }
    both = {"en", "es"}
    assert kinds["first_notice"].variants == {(c, lang) for c in ("email", "sms") for lang in both}
    assert kinds["payment_reminder"].variants == {
        (c, lang) for c in ("email", "sms", "call") for lang in both
    }
    assert kinds["limited_content_voicemail"].variants == {("call", "en"), ("call", "es")}
    assert all(info.description for info in kinds.values())
    assert SHIPPED.purpose("limited_content_voicemail") == "limited_content"


def test_shipped_templates_have_no_problems() -> None:
    assert SHIPPED.problems(REQUIREMENTS) == []


@pytest.mark.parametrize(("kind", "channel", "language"), SHIPPED_VARIANTS)
def test_every_shipped_variant_renders_with_its_required_disclosures(
    kind: str, channel: str, language: str
) -> None:
    rendered = SHIPPED.render(kind, channel, language, VARIABLES, unsubscribe_url=UNSUBSCRIBE)
    required = REQUIREMENTS[(channel, SHIPPED.purpose(kind))]
    assert (rendered.kind, rendered.channel, rendered.language) == (kind, channel, language)
    assert SHIPPED.missing_disclosures(rendered, sorted(required)) == []
    assert "{{" not in rendered.text and "Ana" in rendered.text
    if channel == "sms":
        assert rendered.encoding in ("GSM-7", "UCS-2") and rendered.segments
    if channel == "email":
        assert rendered.subject and "\n" not in rendered.subject
        assert rendered.html is not None and "Ana" in rendered.html
        assert rendered.headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    if channel == "call":
        assert rendered.twiml is not None
        assert ElementTree.fromstring(rendered.twiml).tag == "Response"


def test_first_notices_carry_the_mini_miranda_and_the_debt_collector_sentence() -> None:
    rendered = SHIPPED.render("first_notice", "sms", "en", VARIABLES)
    assert rendered.disclosures == ("mini_miranda", "debt_collector_disclosure", "opt_out_notice")
    assert "This is an attempt to collect a debt" in rendered.text
    assert rendered.text.endswith("Reply STOP to stop texts to this number.")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_limited_content_voicemail_says_only_what_1006_2_j_allows(language: str) -> None:
    rendered = SHIPPED.render("limited_content_voicemail", "call", language, VARIABLES)
    assert rendered.disclosures == ()
    for allowed in ("Ana", "Maria Lopez", "(800) 555-0100"):
        assert allowed in rendered.text
    lowered = rendered.text.lower()
    for forbidden in ("debt", "deuda", "acme", "collect", "cobr", "$", "pay", "pag"):
        assert forbidden not in lowered


def test_the_shipped_templates_use_only_the_documented_variables() -> None:
    documented = {*VARIABLES, "unsubscribe_url", "disclosure"}
    environment = SandboxedEnvironment()
    readme = Path("templates/README.md").read_text("utf-8")
    used: set[str] = set()
    for path in Path("templates").rglob("*.j2"):
        used |= meta.find_undeclared_variables(environment.parse(path.read_text("utf-8")))
    assert used == documented
    assert all(f"`{name}`" in readme for name in used - {"disclosure"})


def test_spanish_variants_speak_spanish() -> None:
    sms = SHIPPED.render("payment_reminder", "sms", "es", VARIABLES)
    assert "Esta comunicación proviene de un cobrador de deudas." in sms.text
    assert "Responda STOP" in sms.text
    assert sms.encoding == "UCS-2"  # the accents in the disclosure
    call = SHIPPED.render("payment_reminder", "call", "es", VARIABLES)
    says = ElementTree.fromstring(call.twiml or "").findall("Say")
    assert {say.get("language") for say in says} == {"es-US"}
    email = SHIPPED.render("first_notice", "email", "es", VARIABLES, unsubscribe_url=UNSUBSCRIBE)
    assert email.subject == "Información sobre su cuenta de Acme Bank"
    assert "cancele la suscripción aquí" in email.text


# Unknown kinds, channels and languages: an error naming what exists, never a fallback


def test_an_unknown_kind_names_the_known_ones() -> None:
    error = render_error(SHIPPED, "first_notise", "sms", "en", VARIABLES)
    assert "unknown message kind `first_notise`" in str(error)
    assert "did you mean `first_notice`?" in str(error)
    with pytest.raises(TemplateError, match="payment_reminder"):
        SHIPPED.purpose("reminder")


def test_a_missing_channel_or_language_names_what_exists() -> None:
    error = render_error(SHIPPED, "first_notice", "call", "en", VARIABLES)
    assert str(error) == "`first_notice` has no call variant; its channels are `email`, `sms`"
    error = render_error(SHIPPED, "first_notice", "sms", "fr", VARIABLES)
    assert (
        str(error) == "`first_notice` has no sms variant in `fr`; its sms languages are `en`, `es`"
    )


# Strict variables, the sandbox, syntax errors


def test_a_missing_variable_names_it_and_the_line() -> None:
    variables = {k: v for k, v in VARIABLES.items() if k != "due_date"}
    error = render_error(SHIPPED, "payment_reminder", "sms", "en", variables)
    assert error.where == "templates/payment_reminder/sms.en.j2:1"
    assert "variable `due_date` is not defined" in error.message


def test_a_missing_variable_in_a_disclosure_names_the_disclosure() -> None:
    error = render_error(SHIPPED, "payment_reminder", "email", "en", VARIABLES)
    assert error.where == "templates/disclosures/opt_out_notice.email.en.j2:1"
    assert "`unsubscribe_url`" in error.message


def test_a_missing_variable_in_a_later_line(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": "Hello {{ first_name }}\n\n{{ balance }}"})
    error = render_error(templates, "notice", "sms", "en", {"first_name": "Ana"})
    assert error.where == at(tmp_path, "notice/sms.en.j2", 3)
    assert "`balance`" in str(error)


def test_a_missing_attribute_names_it(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": "Hello {{ debtor.first_name }}"})
    error = render_error(templates, "notice", "sms", "en", {"debtor": {}})
    assert error.where == at(tmp_path, "notice/sms.en.j2", 1)
    assert error.message.startswith("attribute `first_name` is not defined")


def test_printing_none_is_refused(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": "Hello {{ first_name }}"})
    error = render_error(templates, "notice", "sms", "en", {"first_name": None})
    assert error.where == at(tmp_path, "notice/sms.en.j2", 1)
    assert "None" in error.message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ ''.__class__.__mro__ }}", id="mro"),
        pytest.param("{{ first_name.__class__.__base__.__subclasses__() }}", id="subclasses"),
        pytest.param("{{ disclosure.__globals__ }}", id="function-globals"),
    ],
)
def test_the_sandbox_refuses_unsafe_attributes(tmp_path: Path, source: str) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": f"Hi\n{source}"})
    error = render_error(templates, "notice", "sms", "en", {"first_name": "Ana"})
    assert error.where == at(tmp_path, "notice/sms.en.j2", 2)
    assert "unsafe" in error.message


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    source = "Hello {{ first_name }}\n\n{% if first_name %}\nno end"
    templates = folder(tmp_path, {"notice/sms.en.j2": source})
    error = render_error(templates, "notice", "sms", "en", {"first_name": "Ana"})
    assert error.where == at(tmp_path, "notice/sms.en.j2", 4)
    assert error.message.startswith("template syntax error")
    problems = templates.problems(REQUIREMENTS)
    assert problems[0] == TemplateProblem(at(tmp_path, "notice/sms.en.j2", 4), error.message)


def test_a_syntax_error_in_an_included_template_names_that_template(tmp_path: Path) -> None:
    templates = folder(
        tmp_path,
        {
            "notice/sms.en.j2": 'Hi\n{% include "notice/_footer.j2" %}',
            "notice/_footer.j2": "ok\n{{ unclosed",
        },
    )
    error = render_error(templates, "notice", "sms", "en", {})
    assert error.where == at(tmp_path, "notice/_footer.j2", 2)


# Disclosures: resolution, and presence judged from the output


def test_an_unknown_disclosure_is_an_error_at_the_call(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": 'Hi\n{{ disclosure("opt_out_notise") }}'})
    error = render_error(templates, "notice", "sms", "en", {})
    assert error.where == at(tmp_path, "notice/sms.en.j2", 2)
    assert "unknown disclosure `opt_out_notise`; did you mean `opt_out_notice`?" in error.message


def test_a_disclosure_for_one_channel_wins_over_the_languages(tmp_path: Path) -> None:
    templates = folder(
        tmp_path,
        {
            "disclosures/greeting.en.j2": "Hello {{ first_name }}.",
            "disclosures/greeting.sms.en.j2": "Hi {{ first_name }}.",
            "notice/sms.en.j2": '{{ disclosure("greeting") }}',
            "notice/call.en.j2": '{{ disclosure("greeting") }}',
        },
    )
    assert templates.render("notice", "sms", "en", {"first_name": "Ana"}).text == "Hi Ana."
    assert templates.render("notice", "call", "en", {"first_name": "Ana"}).text == "Hello Ana."


def test_a_disclosure_that_reaches_itself_is_an_error(tmp_path: Path) -> None:
    templates = folder(
        tmp_path,
        {
            "disclosures/a.en.j2": 'A {{ disclosure("b") }}',
            "disclosures/b.en.j2": 'B {{ disclosure("a") }}',
            "notice/sms.en.j2": '{{ disclosure("a") }}',
        },
    )
    error = render_error(templates, "notice", "sms", "en", {})
    assert "disclosure `a` includes itself: `a` → `b` → `a`" in error.message


def test_a_disclosure_in_a_branch_not_taken_is_not_present(tmp_path: Path) -> None:
    source = 'Hi\n{% if show %}{{ disclosure("debt_collector_disclosure") }}{% endif %}'
    templates = folder(tmp_path, {"notice/sms.en.j2": source})
    hidden = templates.render("notice", "sms", "en", {"show": False})
    assert hidden.disclosures == ()
    wanted = ["opt_out_notice", "debt_collector_disclosure"]
    assert templates.missing_disclosures(hidden, wanted) == wanted
    shown = templates.render("notice", "sms", "en", {"show": True})
    assert shown.disclosures == ("debt_collector_disclosure",)
    assert templates.missing_disclosures(shown, wanted) == ["opt_out_notice"]


def test_a_disclosure_counts_with_any_whitespace_but_not_altered(tmp_path: Path) -> None:
    templates = folder(
        tmp_path,
        {
            "notice/sms.en.j2": "This communication\n  is from a debt collector.",
            "notice/call.en.j2": "This communication is from a debt collector!",
        },
    )
    assert templates.render("notice", "sms", "en", {}).disclosures == ("debt_collector_disclosure",)
    assert templates.render("notice", "call", "en", {}).disclosures == ()


def test_missing_disclosures_keeps_the_order_given() -> None:
    rendered = Rendered("k", "sms", "en", "text", disclosures=("b",))
    assert SHIPPED.missing_disclosures(rendered, ["c", "b", "a", "c"]) == ["c", "a"]


def email_folder(tmp_path: Path, text: str, html: str) -> TemplateSet:
    return folder(
        tmp_path,
        {
            "notice/email.en.subject.j2": "Your {{ creditor }} account",
            "notice/email.en.txt.j2": text,
            "notice/email.en.html.j2": html,
        },
    )


def test_an_email_disclosure_must_be_in_the_text_and_the_html(tmp_path: Path) -> None:
    call = '{{ disclosure("debt_collector_disclosure") }}'
    templates = email_folder(tmp_path, f"Hello.\n{call}", "<p>Hello.</p>")
    rendered = templates.render("notice", "email", "en", {"creditor": "Acme"})
    assert rendered.disclosures == ()


def test_an_email_disclosure_counts_in_html_with_tags_and_entities(tmp_path: Path) -> None:
    text = '{{ disclosure("debt_collector_disclosure") }}\n{{ disclosure("opt_out_notice") }}'
    html = (
        "<html><head><title>This communication is from a debt collector.</title></head>"
        "<body><p>This communication is from a <b>debt collector</b>.</p>"
        '<p>{{ disclosure("opt_out_notice") }}</p></body></html>'
    )
    templates = email_folder(tmp_path, text, html)
    rendered = templates.render(
        "notice", "email", "en", {"creditor": "Acme"}, unsubscribe_url=UNSUBSCRIBE
    )
    assert "id=42&amp;list" in (rendered.html or "")  # escaped in HTML, yet found
    assert rendered.disclosures == ("debt_collector_disclosure", "opt_out_notice")


def test_text_hidden_in_the_html_head_does_not_count(tmp_path: Path) -> None:
    call = '{{ disclosure("debt_collector_disclosure") }}'
    html = f"<html><head><title>{call}</title><style>/* {call} */</style></head><body>Hi</body>"
    templates = email_folder(tmp_path, call, html)
    assert templates.render("notice", "email", "en", {"creditor": "Acme"}).disclosures == ()


# Email: headers, subject, escaping


def test_unsubscribe_headers_follow_rfc_8058() -> None:
    rendered = SHIPPED.render(
        "payment_reminder", "email", "en", VARIABLES, unsubscribe_url=UNSUBSCRIBE
    )
    assert rendered.headers == {
        "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert f"unsubscribe here: {UNSUBSCRIBE}" in rendered.text


def test_an_email_without_an_unsubscribe_url_has_no_headers(tmp_path: Path) -> None:
    templates = email_folder(tmp_path, "Hello", "<p>Hello</p>")
    assert templates.render("notice", "email", "en", {"creditor": "Acme"}).headers == {}


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://example.com/u", id="not-https"),
        pytest.param("https://example.com/u\r\nBcc: x@example.com", id="line-break"),
        pytest.param("https://example.com/u>, <mailto:x@example.com", id="angle-bracket"),
        pytest.param("unsubscribe", id="not-a-url"),
    ],
)
def test_a_bad_unsubscribe_url_is_refused(url: str) -> None:
    error = render_error(SHIPPED, "payment_reminder", "email", "en", VARIABLES, unsubscribe_url=url)
    assert "unsubscribe URL" in error.message


def test_the_subject_is_one_line(tmp_path: Path) -> None:
    templates = folder(
        tmp_path,
        {
            "notice/email.en.subject.j2": "  Your\n {{ creditor }}\r\n account  ",
            "notice/email.en.txt.j2": "Hello",
            "notice/email.en.html.j2": "<p>Hello</p>",
        },
    )
    creditor = "Acme\r\nBcc: everyone@example.com"
    rendered = templates.render("notice", "email", "en", {"creditor": creditor})
    assert rendered.subject == "Your Acme Bcc: everyone@example.com account"


def test_html_is_escaped_and_text_is_verbatim() -> None:
    creditor = "<script>alert('x')</script> & Sons"
    variables = {**VARIABLES, "creditor": creditor}
    rendered = SHIPPED.render("first_notice", "email", "en", variables, unsubscribe_url=UNSUBSCRIBE)
    assert rendered.html is not None
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons" in rendered.html
    assert creditor in rendered.text
    assert rendered.subject == f"Information about your {creditor} account"


def test_an_email_missing_a_part_is_refused(tmp_path: Path) -> None:
    templates = folder(
        tmp_path, {"notice/email.en.subject.j2": "Hi", "notice/email.en.txt.j2": "Hello"}
    )
    error = render_error(templates, "notice", "email", "en", {})
    assert error.where == at(tmp_path, "notice/email.en.html.j2")
    assert "html part is missing" in error.message


# SMS: encoding and segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a" * 160, ("GSM-7", 1), id="gsm-160"),
        pytest.param("a" * 161, ("GSM-7", 2), id="gsm-161"),
        pytest.param("a" * 306, ("GSM-7", 2), id="gsm-153x2"),
        pytest.param("a" * 307, ("GSM-7", 3), id="gsm-153x2+1"),
        pytest.param("é" * 160, ("GSM-7", 1), id="gsm-accented-basic"),
        pytest.param("Ñ\n@£$¥_¿¡§" * 16, ("GSM-7", 1), id="gsm-basic-symbols-160"),
        pytest.param("€" * 80, ("GSM-7", 1), id="gsm-extension-160-septets"),
        pytest.param("€" * 81, ("GSM-7", 2), id="gsm-extension-162-septets"),
        pytest.param("a" * 158 + "[", ("GSM-7", 1), id="gsm-bracket-160-septets"),
        pytest.param("a" * 159 + "]", ("GSM-7", 2), id="gsm-bracket-161-septets"),
        pytest.param("a" * 159 + "\f", ("GSM-7", 2), id="gsm-form-feed-counts-two"),
        pytest.param("^{}\\[~]|€", ("GSM-7", 1), id="gsm-every-extension"),
        pytest.param("ó" * 70, ("UCS-2", 1), id="ucs2-70"),
        pytest.param("ó" * 71, ("UCS-2", 2), id="ucs2-71"),
        pytest.param("ó" * 134, ("UCS-2", 2), id="ucs2-67x2"),
        pytest.param("ó" * 135, ("UCS-2", 3), id="ucs2-67x2+1"),
        pytest.param("a" * 159 + "’", ("UCS-2", 3), id="ucs2-one-curly-quote"),
        pytest.param("😀" * 35, ("UCS-2", 1), id="emoji-70-units"),
        pytest.param("a" * 69 + "😀", ("UCS-2", 2), id="emoji-counts-two"),
        pytest.param("", ("GSM-7", 1), id="empty"),
    ],
)
def test_sms_segments(text: str, expected: tuple[str, int]) -> None:
    assert sms_segments(text) == expected


def test_a_two_unit_character_is_never_split_across_segments() -> None:
    # 306 septets would fit two parts, but the `€` cannot straddle the first boundary.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == ("GSM-7", 3)
    assert sms_segments("a" * 151 + "€" + "a" * 153) == ("GSM-7", 2)
    assert sms_segments("a" * 66 + "😀" + "a" * 66) == ("UCS-2", 3)
    assert sms_segments("a" * 65 + "😀" + "a" * 67) == ("UCS-2", 2)


def test_a_rendered_sms_is_stripped_and_counted(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": "\n\n  {{ body }}  \n\n"})
    rendered = templates.render("notice", "sms", "en", {"body": "a" * 160})
    assert (rendered.text, rendered.encoding, rendered.segments) == ("a" * 160, "GSM-7", 1)
    emoji = templates.render("notice", "sms", "en", {"body": "Thanks 👍"})
    assert (emoji.encoding, emoji.segments) == ("UCS-2", 1)


def test_an_sms_over_its_segment_budget_is_refused() -> None:
    rendered = SHIPPED.render("first_notice", "sms", "en", VARIABLES, segment_budget=3)
    assert rendered.segments == 3
    error = render_error(SHIPPED, "first_notice", "sms", "en", VARIABLES, segment_budget=2)
    assert error.where == "templates/first_notice/sms.en.j2"
    assert "needs 3 segments" in error.message and "budget of 2" in error.message
    spanish = render_error(SHIPPED, "first_notice", "sms", "es", VARIABLES, segment_budget=2)
    assert "UCS-2" in spanish.message
    with pytest.raises(TemplateError, match="at least 1"):
        SHIPPED.render("first_notice", "sms", "en", VARIABLES, segment_budget=0)


def test_an_empty_sms_is_refused(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": "{% if false %}Hi{% endif %}\n"})
    assert "empty" in render_error(templates, "notice", "sms", "en", {}).message


# Calls: TwiML


def test_a_call_script_becomes_escaped_twiml() -> None:
    variables = {**VARIABLES, "agent_name": 'Ann <Say>"&</Say>'}
    rendered = SHIPPED.render("payment_reminder", "call", "en", variables)
    root = ElementTree.fromstring(rendered.twiml or "")
    assert root.tag == "Response"
    says = root.findall("Say")
    assert [say.text for say in says] == rendered.text.split("\n\n")
    assert {say.get("language") for say in says} == {"en-US"}
    assert 'Ann <Say>"&</Say>' in (says[0].text or "")
    assert len(root.findall("Pause")) == len(says) - 1  # each paragraph said once
    assert rendered.disclosures == ("debt_collector_disclosure",)


def test_a_call_in_a_language_no_voice_speaks_is_refused(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/call.xx.j2": "Hello"})
    error = render_error(templates, "notice", "call", "xx", {})
    assert error.where == at(tmp_path, "notice/call.xx.j2")
    assert "no voice speaks `xx`" in error.message


# Manifests


def test_a_broken_manifest_names_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        folder(tmp_path, {"notice/kind.toml": 'description = "x"\npurpose = \n'}, base=False)
    assert caught.value.where == at(tmp_path, "notice/kind.toml", 2)
    assert "not valid TOML" in caught.value.message


def test_a_manifest_without_a_purpose_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as caught:
        folder(tmp_path, {"notice/kind.toml": 'description = "x"\n'}, base=False)
    assert caught.value.where == at(tmp_path, "notice/kind.toml")
    assert "`purpose`" in caught.value.message


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no templates folder"):
        TemplateSet(tmp_path / "nowhere")


# The check


def problems_in(tmp_path: Path, files: Mapping[str, str]) -> list[str]:
    return [str(p) for p in folder(tmp_path, files).problems(REQUIREMENTS)]


def test_check_reports_a_required_disclosure_never_called(tmp_path: Path) -> None:
    source = 'Hi {{ first_name }}\n{{ disclosure("debt_collector_disclosure") }}'
    problems = problems_in(tmp_path, {"notice/sms.en.j2": source})
    assert problems == [
        f"{at(tmp_path, 'notice/sms.en.j2')}: the sms body never calls disclosure "
        "`opt_out_notice`, which the rules may require of sms messages with purpose "
        '`collection`; add `{{ disclosure("opt_out_notice") }}`'
    ]


def test_check_accepts_a_disclosure_in_a_branch_or_an_include(tmp_path: Path) -> None:
    files = {
        "notice/sms.en.j2": (
            '{% if x %}{{ disclosure("debt_collector_disclosure") }}{% endif %}\n'
            '{% include "notice/_footer.j2" %}'
        ),
        "notice/_footer.j2": '{{ disclosure("opt_out_notice") }}',
    }
    assert problems_in(tmp_path, files) == []


def test_check_follows_disclosures_that_call_disclosures(tmp_path: Path) -> None:
    files = {
        "disclosures/mini_miranda.en.j2": 'Collecting. {{ disclosure("debt_collector_disclosure") }}',
        "notice/call.en.j2": '{{ disclosure("mini_miranda") }}',
    }
    assert problems_in(tmp_path, files) == []


def test_check_reports_each_email_part_on_its_own(tmp_path: Path) -> None:
    both = '{{ disclosure("debt_collector_disclosure") }} {{ disclosure("opt_out_notice") }}'
    files = {
        "notice/email.en.subject.j2": "Hi",
        "notice/email.en.txt.j2": both,
        "notice/email.en.html.j2": '<p>{{ disclosure("debt_collector_disclosure") }}</p>',
    }
    problems = problems_in(tmp_path, files)
    assert len(problems) == 1
    assert problems[0].startswith(f"{at(tmp_path, 'notice/email.en.html.j2')}: the email HTML part")
    assert "`opt_out_notice`" in problems[0]


def test_check_reports_layout_and_manifest_mistakes(tmp_path: Path) -> None:
    files = {
        "notice/kind.toml": 'purpose = "colection"\ndescripton = "x"\n',
        "notice/fax.en.j2": "Hi",
        "notice/email.en.subject.j2": "Hi",
        "notice/email.en.txt.j2": "Hi",
        "notice/email.en.body.j2": "Hi",
    }
    problems = problems_in(tmp_path, files)
    assert (
        f"{at(tmp_path, 'notice/email.en.body.j2')}: `email.en.body.j2` is not an email part; "
        in (problems[0])
    )
    expected = [
        f"{at(tmp_path, 'notice/email.en.html.j2')}: the email variant in `en` has no HTML "
        f"part; add `{at(tmp_path, 'notice/email.en.html.j2')}`",
        f"{at(tmp_path, 'notice/fax.en.j2')}: `fax` is not a channel (sms, email or call); "
        "name variants `sms.LANG.j2`, `call.LANG.j2` or `email.LANG.subject.j2`, "
        "`email.LANG.txt.j2` and `email.LANG.html.j2`; start a partial's name with `_`",
        f"{at(tmp_path, 'notice/kind.toml')}: unknown manifest key `descripton`; "
        "did you mean `description`?",
        f"{at(tmp_path, 'notice/kind.toml')}: unknown purpose `colection`; "
        "did you mean `collection`?",
    ]
    for line in expected:
        assert line in problems


def test_check_reports_a_disclosure_with_no_text_in_the_language(tmp_path: Path) -> None:
    files = {
        "notice/sms.es.j2": (
            'Hola\n{{ disclosure("debt_collector_disclosure") }}\n{{ disclosure("opt_out_notice") }}'
        ),
    }
    problems = problems_in(tmp_path, files)
    assert (
        f"{at(tmp_path, 'notice/sms.es.j2', 2)}: disclosure `debt_collector_disclosure` has no "
        "sms text in `es`; add `disclosures/debt_collector_disclosure.es.j2` or "
        "`disclosures/debt_collector_disclosure.sms.es.j2`"
    ) in problems


def test_check_reports_a_disclosure_in_a_limited_content_message(tmp_path: Path) -> None:
    files = {
        "voicemail/kind.toml": 'purpose = "limited_content"\n',
        "voicemail/call.en.j2": 'Call me back.\n{{ disclosure("debt_collector_disclosure") }}',
    }
    problems = [p for p in problems_in(tmp_path, files) if "voicemail" in p]
    assert len(problems) == 1
    assert problems[0].startswith(f"{at(tmp_path, 'voicemail/call.en.j2', 2)}: a limited-content")


def test_check_reports_names_it_cannot_follow(tmp_path: Path) -> None:
    files = {
        "notice/sms.en.j2": "{% include footer %}\n{{ disclosure(name) }}",
        "notice/call.en.j2": '{% include "notice/_nowhere.j2" %}',
    }
    problems = problems_in(tmp_path, files)
    assert any("notice/sms.en.j2:1: the check cannot follow" in p for p in problems)
    assert any("notice/sms.en.j2:2: call a disclosure by its quoted name" in p for p in problems)
    assert any("notice/call.en.j2:1: no template `notice/_nowhere.j2`" in p for p in problems)


def test_check_fails_closed_on_requirements_it_was_not_given(tmp_path: Path) -> None:
    templates = folder(tmp_path, {"notice/sms.en.j2": "Hi"})
    problems = templates.problems({})
    assert [p.message for p in problems] == [
        "no requirements were given for sms messages with purpose `collection`; pass them, "
        "an empty set when the rules require nothing"
    ]
