"""The course glossary (``sim.glossary``) and its page (``notebooks/glossary.md``).

The wordings are checked against the course documents themselves: every wording that cites a
document must occur in that document's text (``/work/shared/seeds``, found relative to the
repository), and a standard translation must not occur there (it would then be missing its
citation). Those tests are skipped when the documents are not there. The ten "Glossary seeds"
of the course digest must all be in the glossary with the digest's wordings.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from sim import glossary
from sim.glossary import DOCUMENTS, SECTIONS, TERMS, Term, TermNotFound, Wording

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
DIGEST = SHARED / "SOURCE-DIGEST.md"
PAGE = ROOT / "notebooks" / "glossary.md"

#: The "Glossary seeds" table of the course digest, row by row as the digest writes it.
DIGEST_SEEDS = [
    "| customer relationship management | müşteri ilişkileri yönetimi (MİY) "
    "| مدیریت ارتباط با مشتری | zarządzanie relacjami z klientem |",
    "| customer satisfaction | müşteri tatmini / memnuniyeti | رضایت مشتری | zadowolenie klienta |",
    "| loyalty | müşteri sadakati / bağlılığı | وفاداری مشتری | lojalność |",
    "| lifetime value | yaşam boyu değer | ارزش طول عمر مشتری | wartość klienta w czasie |",
    "| churn / lost customer | kaybedilen müşteri | ریزش مشتری | utrata klienta |",
    "| data mining | veri madenciliği | داده‌کاوی | eksploracja danych |",
    "| call centre | çağrı merkezi | مرکز تماس | call center |",
    "| cross-selling | çapraz satış | فروش متقابل | sprzedaż krzyżowa |",
    "| loyalty programme | sadakat programı | برنامه وفاداری | program lojalnościowy |",
    "| segmentation | pazar bölümlendirme | بخش‌بندی | segmentacja |",
]
SEED_LANGUAGES = ("en", "tr", "fa", "pl")


def _expand(cell: str) -> list[str]:
    """The wordings of a digest cell: ``"a b (C)"`` -> a b, C; ``"a b / c"`` -> a b, a c."""
    cell = cell.strip()
    extra = re.findall(r"\(([^)]*)\)", cell)
    cell = re.sub(r"\s*\([^)]*\)", "", cell)
    first, *others = [part.strip() for part in cell.split(" / ")]
    words = [first]
    for other in others:
        # "müşteri tatmini / memnuniyeti": a one-word alternative replaces the last word.
        words.append(" ".join([*first.split()[:-1], other]) if " " not in other else other)
    return words + extra


# ---------------------------------------------------------------------------------------------
# The course documents


def _lower(text: str, language: str) -> str:
    """Case-folded text with collapsed white space (Turkish I/İ folded the Turkish way)."""
    text = unicodedata.normalize("NFC", text)
    if language == "tr":
        text = text.replace("İ", "i").replace("I", "ı")
    return " ".join(text.lower().split())


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    """id -> the document's text, folded by :func:`_lower`."""
    if not SEEDS.is_dir():
        pytest.skip(f"course documents not found in {SEEDS}")
    return {doc: _lower((SEEDS / name).read_text(encoding="utf-8"), language)
            for doc, (language, name) in DOCUMENTS.items()}


def _occurs(phrase: str, text: str) -> bool:
    """``phrase`` occurs in ``text`` starting at a word (suffixes may follow it)."""
    start = text.find(phrase)
    while start >= 0:
        if start == 0 or not text[start - 1].isalnum():
            return True
        start = text.find(phrase, start + 1)
    return False


def _cited() -> list[tuple[Term, Wording, str]]:
    return [(term, w, doc) for term in TERMS for w in term.wordings() for doc in w.sources or ()]


@pytest.mark.parametrize(("term", "wording", "doc"), _cited(),
                         ids=lambda x: x.text if isinstance(x, Wording) else None)
def test_cited_wordings_occur_in_their_documents(documents, term, wording, doc):
    form = term.found_form(wording.text)
    assert _occurs(_lower(form, wording.language), documents[doc]), (
        f"{term.english}: {form!r} is cited to [{doc}] but does not occur there")
    if form != wording.text:  # a found form is only for wordings the text does not contain
        assert not _occurs(_lower(wording.text, wording.language), documents[doc]), (
            f"{term.english}: {wording.text!r} occurs in [{doc}]; no found form needed")


#: Occurrences that are deliberately not cited: (wording, document id) -> why.
NOT_COURSE_TEXT = {
    ("müşteri memnuniyeti", "001"): "in the web page's advertising banner above the notes",
}


def test_citations_are_complete(documents):
    missing = []
    for term in TERMS:
        for wording in term.wordings():
            if wording.sources is None:
                continue
            form = _lower(term.found_form(wording.text), wording.language)
            for doc, (language, _) in DOCUMENTS.items():
                if (language == wording.language and doc not in wording.sources
                        and (wording.text, doc) not in NOT_COURSE_TEXT
                        and _occurs(form, documents[doc])):
                    missing.append(f"{term.english}: {wording.text!r} also occurs in [{doc}]")
    assert not missing, "\n".join(missing)


def _standard() -> list[tuple[Term, Wording]]:
    return [(term, w) for term in TERMS for w in term.wordings()
            if w.language != "en" and w.sources is None]


@pytest.mark.parametrize(("term", "wording"), _standard(),
                         ids=lambda x: x.text if isinstance(x, Wording) else None)
def test_standard_translations_are_not_in_the_documents(documents, term, wording):
    # Persian: the documents lost their zero-width non-joiners, so compare without them.
    def fold(text: str) -> str:
        return text.replace("\u200c", "")

    phrase = fold(_lower(wording.text, wording.language))
    for doc, (language, _) in DOCUMENTS.items():
        if language == wording.language:
            assert not _occurs(phrase, fold(documents[doc])), (
                f"{term.english}: {wording.text!r} occurs in [{doc}]; cite it")


def test_found_forms_are_inflections_of_their_wording():
    pairs = [(term, text, form) for term in TERMS for text, form in term.found]
    assert pairs, "expected some inflected forms (Turkish and Polish inflect their nouns)"
    for term, text, form in pairs:
        assert form != text
        words, forms = text.split(), form.split()
        assert len(words) == len(forms), f"{term.english}: {form!r} is not a form of {text!r}"
        for word, inflected in zip(words, forms, strict=True):
            stem = min(4, len(word))  # the inflection may change the ending, not the stem
            assert word[:stem] == inflected[:stem], (
                f"{term.english}: {inflected!r} is not a form of {word!r}")


def test_cited_documents_are_in_the_wordings_language():
    for term in TERMS:
        for wording in term.wordings():
            for doc in wording.sources or ():
                assert DOCUMENTS[doc][0] == wording.language, (term.english, wording)
    with pytest.raises(ValueError, match="not a tr course document"):
        Term("x", "y", "z", "w", "Bad.", 1, turkish_sources=("003",))
    with pytest.raises(ValueError, match="section"):
        Term("x", "y", "z", "w", "Bad.", 10)


# ---------------------------------------------------------------------------------------------
# Coverage of the digest


def test_every_digest_section_has_terms():
    for number in SECTIONS:
        assert [t for t in TERMS if t.section == number], f"section {number} has no terms"
    assert {t.section for t in TERMS} == set(range(1, 10))
    assert 45 <= len(TERMS) <= 80


def test_section_titles_are_the_digests():
    if not DIGEST.is_file():
        pytest.skip(f"course digest not found at {DIGEST}")
    headings = re.findall(r"^## (\d)\. (.+?)(?: \[\d{3}\])*$", DIGEST.read_text(encoding="utf-8"),
                          flags=re.MULTILINE)
    assert {int(n): title for n, title in headings} == SECTIONS


def test_digest_seed_table_is_the_one_tested():
    if not DIGEST.is_file():
        pytest.skip(f"course digest not found at {DIGEST}")
    text = DIGEST.read_text(encoding="utf-8")
    table = text[text.index("## Glossary seeds"):]
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]  # after the head
    assert rows == DIGEST_SEEDS


@pytest.mark.parametrize("row", DIGEST_SEEDS, ids=lambda row: row.split("|")[1].strip())
def test_digest_seed_terms_are_present_with_the_digests_wordings(row):
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    english = _expand(cells[0])
    term = glossary.lookup(english[0], language="en")
    for language, cell in zip(SEED_LANGUAGES, cells, strict=True):
        ours = {unicodedata.normalize("NFC", w.text) for w in term.wordings(language)}
        for wording in _expand(cell):
            assert unicodedata.normalize("NFC", wording) in ours, (
                f"{term.english}: the digest's {language} wording {wording!r} is missing")
            assert glossary.lookup(wording, language=language) is term


def test_no_duplicate_english_terms():
    english = [term.english.casefold() for term in TERMS]
    assert len(english) == len(set(english))


def test_definitions_are_one_english_sentence():
    for term in TERMS:
        assert term.definition[0].isupper() and term.definition.endswith("."), term.english
        assert ". " not in term.definition[:-1], f"{term.english}: more than one sentence"


# ---------------------------------------------------------------------------------------------
# Lookup


@pytest.mark.parametrize(("query", "language", "english"), [
    ("churn", None, "churn"),
    ("Churn", "en", "churn"),
    ("kaybedilen müşteri", "tr", "churn"),
    ("ریزش مشتری", "fa", "churn"),
    ("utrata klienta", "pl", "churn"),
    ("müşteri ilişkileri yönetimi", "tr", "customer relationship management"),
    ("مدیریت ارتباط با مشتری", "fa", "customer relationship management"),
    ("zarządzanie relacjami z klientem", "pl", "customer relationship management"),
    ("CRM", None, "customer relationship management"),
    ("miy", "tr", "customer relationship management"),
    ("Client Resource Management", "pl", "customer relationship management"),
    ("veri madenciliği", "tr", "data mining"),
    ("reguła Pareto", "pl", "Pareto rule"),
    ("چرخه فرآیند سی آر ام", "fa", "Swift's CRM process cycle"),
])
def test_lookup_in_each_language(query, language, english):
    assert glossary.lookup(query, language=language).english == english


@pytest.mark.parametrize(("query", "english"), [
    ("musteri tatmini", "customer satisfaction"),  # müşteri tatmini
    ("MUSTERI TATMINI", "customer satisfaction"),
    ("zarzadzanie relacjami", "customer relationship management"),  # a prefix, without ą
    ("lojalnosc", "loyalty"),  # lojalność
    ("cagri merkezi", "call centre"),  # çağrı merkezi
    ("CRM'in hedefleri", "goals of CRM"),  # the documents write CRM’in
    ("داده کاوی", "data mining"),  # داده‌کاوی, with a space instead of the non-joiner
    ("دادهکاوی", "data mining"),  # and with neither, as the Persian document spells words
    ("كشف دانستهها", "knowledge discovery"),  # Arabic kaf for Persian keheh
])
def test_lookup_ignores_accents_case_and_spelling_variants(query, english):
    assert glossary.lookup(query).english == english


def test_lookup_by_unique_prefix():
    assert glossary.lookup("pareto").english == "Pareto rule"
    assert glossary.lookup("veri mad", language="tr").english == "data mining"
    assert glossary.lookup("sprzedaż krzy").english == "cross-selling"


def test_every_wording_finds_its_own_term():
    for term in TERMS:
        for wording in term.wordings():
            assert glossary.lookup(wording.text) is term, wording
            assert glossary.lookup(wording.text, language=wording.language) is term, wording


def test_language_restricts_the_search():
    with pytest.raises(KeyError):
        glossary.lookup("churn", language="tr")
    with pytest.raises(ValueError, match="unknown language"):
        glossary.lookup("churn", language="de")


def test_unknown_term_raises_keyerror_with_suggestions():
    with pytest.raises(KeyError) as caught:
        glossary.lookup("chrun")
    error = caught.value
    assert isinstance(error, TermNotFound)
    assert "'chrun'" in str(error) and "'churn'" in str(error)
    assert error.term == "chrun" and error.suggestions[0] == "churn"
    with pytest.raises(KeyError, match="müşteri tatmini"):
        glossary.lookup("müşteri tatmıni x")
    with pytest.raises(KeyError, match="no glossary term matches 'qqqq'"):
        glossary.lookup("qqqq")


def test_ambiguous_prefix_raises_keyerror_with_candidates():
    with pytest.raises(KeyError, match="'customer' is ambiguous") as caught:
        glossary.lookup("customer")
    suggestions = caught.value.suggestions
    assert len(suggestions) > 1
    assert all(s.casefold().startswith("customer") for s in suggestions)
    terms = {glossary.lookup(s).english for s in suggestions}
    assert len(terms) == len(suggestions), "one suggestion per term"


# ---------------------------------------------------------------------------------------------
# Table, entry views and the page


def test_table():
    full = glossary.table()
    assert len(full) == len(TERMS)
    assert list(full.columns) == ["section", "english", "turkish", "turkish_sources", "persian",
                                  "persian_sources", "polish", "polish_sources", "definition"]
    assert not full["english"].duplicated().any()
    row = full.set_index("english").loc["churn"]
    assert row["turkish_sources"] == "001" and pd.isna(row["persian_sources"])
    assert list(glossary.table("fa").columns) == ["section", "english", "persian",
                                                  "persian_sources", "definition"]
    assert list(glossary.table("en").columns) == ["section", "english", "definition"]
    with pytest.raises(ValueError):
        glossary.table("xx")


def test_entry_reads_well():
    term = glossary.lookup("loyalty programme")
    text, md = str(term), term._repr_markdown_()
    for view in (text, md):
        assert "loyalty programme" in view and term.definition in view
        assert "sadakat programı [001] (as “sadakat programlarının”)" in view
        assert "برنامه وفاداری (standard translation" in view
        assert "program lojalnościowy [004]" in view
    assert md.startswith("**loyalty programme**")


def test_page_is_the_generated_markdown():
    assert PAGE.read_text(encoding="utf-8") == glossary.markdown(), (
        "notebooks/glossary.md is stale: regenerate it with "
        ".venv/bin/python -c 'from sim import glossary; "
        "open(\"notebooks/glossary.md\", \"w\", encoding=\"utf-8\").write(glossary.markdown())'")


def test_page_has_every_section_and_term():
    page = glossary.markdown()
    assert page.endswith("\n")
    assert 'glossary.lookup("churn")' in page
    for number, title in SECTIONS.items():
        assert f"\n## {number}. {title}\n" in page
    for term in TERMS:
        assert f"| **{term.english}**" in page
