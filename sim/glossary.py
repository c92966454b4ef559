"""The course glossary: CRM terms in English, Turkish, Persian and Polish.

The course material is five lecture-note documents, cited by id as the course digest does:
``[000]``, ``[001]`` and ``[002]`` are Turkish, ``[003]`` is Persian and ``[004]`` is Polish
(the files are listed in :data:`DOCUMENTS`). This module keeps the terms they teach as data, one
:class:`Term` per concept, grouped by the nine sections of the course digest (:data:`SECTIONS`).

**Wordings and their sources.** Each term has an English name and one main wording in each of
the three course languages. A wording that cites documents (``turkish_sources=("000",)``) is
spelled exactly as those documents spell it; a wording that cites none (``None``) does not occur
in the course documents in that language and is a standard translation. Some terms have more
than one wording (Turkish notes say both *müşteri tatmini* and *müşteri memnuniyeti*): those are
the term's :attr:`Term.variants`, each with its own sources. Turkish and Polish inflect their
nouns, so a document may use a term only in an inflected form (*sadakat programlarının*, "of the
loyalty programmes"); the glossary then gives the dictionary form, and :attr:`Term.found` keeps
the form exactly as it stands in the document. ``tests/test_glossary.py`` checks every cited
wording against the documents' text.

**Looking a term up.** :func:`lookup` finds a term from any of its wordings, in any language,
ignoring case and accents (``"musteri tatmini"``, ``"zarzadzanie relacjami"``) and accepting a
unique beginning (``"churn"``, ``"pareto"``)::

    from sim import glossary
    glossary.lookup("churn")          # shows the term, its definition and all its wordings
    glossary.lookup("رضایت مشتری")
    glossary.table("pl")              # the glossary as a pandas DataFrame

:func:`markdown` returns the glossary page, ``notebooks/glossary.md``.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field

__all__ = [
    "DOCUMENTS",
    "LANGUAGES",
    "SECTIONS",
    "TERMS",
    "Term",
    "TermNotFound",
    "Wording",
    "lookup",
    "markdown",
    "table",
]

#: The languages of the glossary: code -> the language's name in that language.
LANGUAGES = {"en": "English", "tr": "Türkçe", "fa": "فارسی", "pl": "Polski"}

#: The course documents (in ``seeds/`` of the course material): id -> (language, file name).
DOCUMENTS = {
    "000": ("tr", "000_f876cb95aa3f3ad2.txt"),
    "001": ("tr", "001_e5b75d739c18c053.txt"),
    "002": ("tr", "002_af38d9f2a3bae3ef.txt"),
    "003": ("fa", "003_70c13e4190bcc2b5.txt"),
    "004": ("pl", "004_4be69aa770bc1efc.txt"),
}

#: The sections of the course digest, by number.
SECTIONS = {
    1: "Why CRM appeared (history)",
    2: "Definitions",
    3: 'Goals: the "rights"',
    4: "Lifecycle steps",
    5: "CRM models (types)",
    6: "Elements and technologies",
    7: "Loyalty and the Pareto rule",
    8: "Process models",
    9: "Success and measurement",
}

_FIELD = {"tr": "turkish", "fa": "persian", "pl": "polish"}


@dataclass(frozen=True)
class Wording:
    """One way of saying a term in one language.

    Parameters
    ----------
    language : str
        ``"en"``, ``"tr"``, ``"fa"`` or ``"pl"``.
    text : str
        The wording, in its dictionary form.
    sources : tuple of str or None
        Ids of the course documents that use this wording (``("000", "001")``), or ``None`` when
        no course document in that language does: the wording is then a standard translation.
    """

    language: str
    text: str
    sources: tuple[str, ...] | None = None

    def cite(self) -> str:
        """The source ids as the digest writes them, ``"[000] [001]"``; ``""`` if none."""
        return " ".join(f"[{s}]" for s in self.sources or ())


@dataclass(frozen=True)
class Term:
    """A glossary entry: one CRM concept and how each language of the course says it.

    Parameters
    ----------
    english : str
        The English name of the concept (unique in the glossary).
    turkish, persian, polish : str
        The main wording in Turkish, Persian and Polish.
    definition : str
        One sentence, in English, saying what the term means.
    section : int
        The section of the course digest the concept belongs to, 1 to 9 (see :data:`SECTIONS`).
    turkish_sources, persian_sources, polish_sources : tuple of str or None
        Ids of the course documents that use the main wording, or ``None`` when the wording is a
        standard translation that does not occur in the course documents.
    variants : tuple of Wording
        Other wordings of the same concept, in any of the four languages, with their sources.
    found : tuple of (str, str)
        ``(wording, form)`` pairs: for a wording the documents use only in an inflected form,
        the form exactly as it stands in the document.

    Examples
    --------
    >>> from sim import glossary
    >>> term = glossary.lookup("pareto")
    >>> term.polish, term.polish_sources
    ('reguła Pareto', ('004',))
    """

    english: str
    turkish: str
    persian: str
    polish: str
    definition: str
    section: int
    turkish_sources: tuple[str, ...] | None = None
    persian_sources: tuple[str, ...] | None = None
    polish_sources: tuple[str, ...] | None = None
    variants: tuple[Wording, ...] = ()
    found: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self):
        if self.section not in SECTIONS:
            raise ValueError(f"{self.english!r}: section {self.section} is not one of 1-9")
        texts = set()
        for wording in self.wordings():
            texts.add(wording.text)
            if wording.language not in LANGUAGES:
                raise ValueError(f"{self.english!r}: unknown language {wording.language!r}")
            if not wording.text.strip():
                raise ValueError(f"{self.english!r}: empty {wording.language} wording")
            if wording.sources is None:
                continue
            if not wording.sources:
                raise ValueError(f"{self.english!r}: {wording.text!r} has empty sources; "
                                 "use None for a standard translation")
            for doc in wording.sources:
                if DOCUMENTS.get(doc, ("",))[0] != wording.language:
                    raise ValueError(f"{self.english!r}: {wording.text!r} cites {doc!r}, "
                                     f"which is not a {wording.language} course document")
        for text, _ in self.found:
            if text not in texts:
                raise ValueError(f"{self.english!r}: found form given for unknown {text!r}")

    def wordings(self, language: str | None = None) -> tuple[Wording, ...]:
        """All wordings of the term, main ones first, optionally of one language only.

        Parameters
        ----------
        language : {"en", "tr", "fa", "pl"}, optional
            Keep only the wordings in this language.

        Returns
        -------
        tuple of Wording
        """
        every = (
            Wording("en", self.english),
            Wording("tr", self.turkish, self.turkish_sources),
            Wording("fa", self.persian, self.persian_sources),
            Wording("pl", self.polish, self.polish_sources),
            *self.variants,
        )
        return tuple(w for w in every if language is None or w.language == language)

    def found_form(self, text: str) -> str:
        """The form of wording ``text`` as it stands in its source documents.

        This is ``text`` itself unless the documents use it only inflected (see ``found``).
        """
        return dict(self.found).get(text, text)

    def _label(self, wording: Wording) -> str:
        """A wording with its citation: ``sadakat programı [001] (as “...”)``."""
        if wording.sources is None:
            return wording.text
        label = f"{wording.text} {wording.cite()}"
        form = self.found_form(wording.text)
        return label if form == wording.text else f"{label} (as “{form}”)"

    def _lines(self) -> list[tuple[str, str]]:
        """(language name, wordings) pairs for the entry views."""
        lines = []
        english = [w.text for w in self.wordings("en")[1:]]
        if english:
            lines.append((LANGUAGES["en"], "also " + ", ".join(english)))
        for code in ("tr", "fa", "pl"):
            main, *others = self.wordings(code)
            text = self._label(main)
            if main.sources is None:
                text += " (standard translation, not in the course documents)"
            if others:
                text += "; also " + "; ".join(self._label(w) for w in others)
            lines.append((LANGUAGES[code], text))
        return lines

    def __str__(self) -> str:
        head = f"{self.english} (section {self.section}: {SECTIONS[self.section]})"
        body = [f"  {name}: {text}" for name, text in self._lines()]
        return "\n".join([head, f"  {self.definition}", *body])

    def _repr_markdown_(self) -> str:
        head = f"**{self.english}** (section {self.section}: {SECTIONS[self.section]})"
        body = [f"- **{name}**: {text}" for name, text in self._lines()]
        return "\n".join([head, "", self.definition, "", *body])


def _term(english: str, section: int, definition: str, *, tr: tuple, fa: tuple, pl: tuple,
          also: tuple = (), found: dict[str, str] | None = None) -> Term:
    """Build a :class:`Term` from compact tuples: ``(text, *source_ids)``."""

    def sources(ids: tuple) -> tuple[str, ...] | None:
        return tuple(ids) or None

    return Term(
        english=english,
        turkish=tr[0],
        persian=fa[0],
        polish=pl[0],
        definition=definition,
        section=section,
        turkish_sources=sources(tr[1:]),
        persian_sources=sources(fa[1:]),
        polish_sources=sources(pl[1:]),
        variants=tuple(Wording(lang, text, sources(ids)) for lang, text, *ids in also),
        found=tuple((found or {}).items()),
    )


#: Every term of the course, grouped by digest section.
TERMS: tuple[Term, ...] = (
    # 1. Why CRM appeared (history)
    _term(
        "production process", 1,
        "The older way of doing business in which a firm first makes its products and only "
        "then looks for customers to buy them.",
        tr=("üretim süreci", "000"),
        fa=("فرایند تولید",),
        pl=("proces wytwórczy", "004"),
        found={"proces wytwórczy": "procesu wytwórczego"},
    ),
    _term(
        "customer process", 1,
        "The way of doing business that replaced the production process from the late 1970s: "
        "get to know the customers and what they want, then produce for them.",
        tr=("müşteri süreci", "000"),
        fa=("فرایند مشتری‌محور",),
        pl=("proces zorientowany na klienta",),
    ),
    _term(
        "mass marketing", 1,
        "Sending the same offer and message to the whole market, an ever more expensive way of "
        "winning customers and one of the reasons CRM appeared.",
        tr=("kitlesel pazarlama", "000"),
        fa=("بازاریابی انبوه",),
        pl=("marketing masowy",),
    ),
    _term(
        "share of customer", 1,
        "The part of a customer's total spending in a category that goes to the firm; CRM firms "
        "aim to raise it rather than their share of the market.",
        tr=("müşteri payı", "000", "001"),
        fa=("سهم مشتری",),
        pl=("udział w portfelu klienta",),
        also=(("en", "share of wallet"),),
    ),
    _term(
        "market share", 1,
        "The firm's sales as a part of all sales in its market, the traditional goal that share "
        "of customer has replaced in CRM thinking.",
        tr=("pazar payı", "000", "001"),
        fa=("سهم بازار",),
        pl=("udział w rynku",),
        also=(("en", "share of market"),),
    ),
    _term(
        "customer service", 1,
        "Helping customers before, during and after a purchase; it became a priority in the "
        "1980s, when a happy customer came to mean a satisfied and so a loyal one.",
        tr=("müşteri hizmetleri", "000", "001"),
        fa=("خدمت به مشتری", "003"),
        pl=("obsługa klienta",),
    ),
    _term(
        "total quality", 1,
        "A firm-wide commitment to quality in every process, whose spread is one of the "
        "developments that pushed firms towards CRM.",
        tr=("toplam kalite", "001"),
        fa=("مدیریت کیفیت جامع",),
        pl=("kompleksowe zarządzanie jakością",),
        also=(("en", "total quality management"), ("en", "TQM")),
    ),
    _term(
        "supply chain management", 1,
        "Coordinating suppliers, subcontractors, distributors and retailers to cut costs and "
        "lead times; the Polish notes present CRM as its extension to the customer.",
        tr=("tedarik zinciri yönetimi",),
        fa=("مدیریت زنجیره تأمین",),
        pl=("zarządzanie łańcuchem dostaw", "004"),
        also=(("en", "SCM"),),
    ),
    # 2. Definitions
    _term(
        "customer relationship management", 2,
        "A management strategy, supported by technology, that wins, keeps and grows profitable "
        "customers by knowing each of them well and serving them personally on every channel.",
        tr=("müşteri ilişkileri yönetimi", "000", "001", "002"),
        fa=("مدیریت ارتباط با مشتری", "003"),
        pl=("zarządzanie relacjami z klientem",),
        also=(
            ("en", "CRM"),
            ("tr", "MİY", "001"),
            ("fa", "سی آر ام", "003"),
            ("pl", "zarządzanie powiązaniami z klientem", "004"),
            ("pl", "Client Resource Management", "004"),
            ("pl", "Client Resources Management", "004"),
        ),
        found={"zarządzanie powiązaniami z klientem": "zarządzania powiązaniami z klientem"},
    ),
    _term(
        "customer lifetime value", 2,
        "The profit a customer is expected to bring over the whole relationship, the yardstick "
        "for how much to invest in each customer.",
        tr=("yaşam boyu değer", "001"),
        fa=("ارزش طول عمر مشتری",),
        pl=("wartość klienta w czasie",),
        also=(("en", "lifetime value"), ("en", "CLV")),
    ),
    _term(
        "personalisation", 2,
        "Tailoring products, services and communication to the individual customer instead of "
        "treating every customer alike.",
        tr=("kişiye özel hizmet", "000", "002"),
        fa=("ارتباط شخصی شده", "003"),
        pl=("personalizacja", "004"),
        also=(
            ("en", "personalization"),
            ("en", "personalised service"),
            ("tr", "kişiye özel muamele", "000"),
            ("fa", "سفارشی سازی", "003"),
        ),
    ),
    _term(
        "Siebold's three principles", 2,
        "Patricia Siebold's principles of CRM: customers are in control, relationships with "
        "customers are valuable, and the customer's experience matters.",
        tr=("Siebold'un üç ilkesi",),
        fa=("سه اصل سیبولد",),
        pl=("trzy zasady Patricii Siebold",),
        also=(("en", "Seybold's three principles"), ("fa", "پاتریشا سیبولد", "003")),
    ),
    _term(
        "customer experience", 2,
        "Everything a customer goes through in dealing with the firm, which one of Siebold's "
        "principles and one of Gartner's building blocks put at the centre of CRM.",
        tr=("müşteri deneyimi",),
        fa=("تجربه مشتری", "003"),
        pl=("doświadczenie klienta",),
    ),
    _term(
        "misconceptions about CRM", 2,
        "The half-truths that CRM is only database marketing, only a marketing process, only "
        "information technology, only a loyalty plan, or something any firm can simply apply.",
        tr=("yanlış kanılar", "001"),
        fa=("برداشت‌های نادرست از CRM",),
        pl=("błędne przekonania o CRM",),
    ),
    # 3. Goals: the "rights"
    _term(
        "goals of CRM", 3,
        "The \"rights\" CRM aims at: the right customer, product, service, place, price and "
        "method at the right time, based on the right analysis.",
        tr=("CRM’in hedefleri", "000"),
        fa=("اهداف CRM", "003"),
        pl=("cele CRM",),
        also=(("en", "the rights"), ("en", "CRM goals")),
    ),
    _term(
        "right time", 3,
        "Reaching each customer at the moment an offer or service is relevant to them, the "
        "first of the \"rights\" and a recurring phrase in the course documents.",
        tr=("doğru zaman", "000", "001"),
        fa=("زمان صحیح", "003"),
        pl=("właściwy czas",),
    ),
    _term(
        "customer portfolio value", 3,
        "The combined value of all of the firm's customers; raising it is the main aim of CRM, "
        "with the other goals as sub-aims.",
        tr=("müşteri portföyünün değeri", "001"),
        fa=("ارزش سبد مشتریان",),
        pl=("wartość portfela klientów",),
    ),
    _term(
        "prospect", 3,
        "A person or firm that is not yet a customer but could become one; identifying them is "
        "the first sub-aim of CRM.",
        tr=("potansiyel müşteri", "001"),
        fa=("مشتری بالقوه",),
        pl=("potencjalny nabywca", "004"),
        also=(("en", "potential customer"),),
        found={"potencjalny nabywca": "potencjalni nabywcy"},
    ),
    _term(
        "bad customer", 3,
        "A customer who costs the firm more than they bring, whom CRM should avoid rather "
        "than court.",
        tr=("kötü müşteri", "001"),
        fa=("مشتری نامطلوب",),
        pl=("niepożądany klient",),
    ),
    _term(
        "segmentation", 3,
        "Dividing the market or the customer base into groups with similar needs or value, so "
        "that each group can be served and priced differently.",
        tr=("pazar bölümlendirme", "001"),
        fa=("بخش‌بندی",),
        pl=("segmentacja",),
        also=(
            ("en", "market segmentation"),
            ("en", "customer segmentation"),
            ("tr", "segmente edilme", "000"),
        ),
    ),
    _term(
        "complaint handling", 3,
        "Listening to customers' complaints and resolving them quickly, one of CRM's "
        "responsibilities and a measure of its success.",
        tr=("müşteri şikâyetleri", "001"),
        fa=("رسیدگی به شکایات",),
        pl=("obsługa reklamacji",),
        also=(("en", "complaints"), ("tr", "şikayet", "002")),
    ),
    _term(
        "customer feedback", 3,
        "What customers tell the firm about its products and service, collected so that the "
        "firm can learn and improve.",
        tr=("müşteri geribildirimi", "001"),
        fa=("بازخورد", "003"),
        pl=("informacja zwrotna od klienta",),
        also=(("en", "feedback"),),
    ),
    # 4. Lifecycle steps
    _term(
        "stages of CRM", 4,
        "The sequence a firm takes its customers through: select them, acquire them, retain "
        "them and grow their value, and win back those it has lost.",
        tr=("CRM’in temel adımları", "000"),
        fa=("مراحل CRM", "003"),
        pl=("fazy CRM", "004"),
        also=(("en", "customer lifecycle"), ("en", "CRM lifecycle")),
    ),
    _term(
        "customer selection", 4,
        "Deciding which customers the firm wants to serve, the first step of the CRM lifecycle.",
        tr=("müşteri seçmek", "000"),
        fa=("انتخاب مشتری",),
        pl=("wybór klientów",),
        also=(("en", "select customers"),),
    ),
    _term(
        "customer acquisition", 4,
        "Turning prospects into customers, the second step of the CRM lifecycle.",
        tr=("müşteri kazanmak", "000"),
        fa=("جذب مشتری",),
        pl=("pozyskiwanie klientów",),
        also=(
            ("en", "acquire customers"),
            ("tr", "yeni müşteri elde etmek", "001"),
            ("fa", "جذب", "003"),
            ("pl", "zdobywanie", "004"),
        ),
    ),
    _term(
        "customer retention", 4,
        "Keeping existing customers buying from the firm, the third step of the CRM lifecycle "
        "and usually cheaper than winning new ones.",
        tr=("müşteriyi elde tutma", "001"),
        fa=("حفظ مشتری",),
        pl=("utrzymanie klientów",),
        also=(
            ("en", "retention"),
            ("en", "retain customers"),
            ("tr", "müşterilerini korumak", "000"),
            ("tr", "müşterilerin elde tutulması", "001"),
            ("fa", "حفظ", "003"),
            ("pl", "pielęgnowanie klientów", "004"),
        ),
    ),
    _term(
        "growing customer value", 4,
        "Raising what each customer buys and earns the firm over time, for example by "
        "cross-selling and up-selling, the fourth step of the CRM lifecycle.",
        tr=("müşterilerin değerini artırmak", "000"),
        fa=("افزایش ارزش مشتری",),
        pl=("zwiększanie wartości klienta",),
        also=(
            ("en", "increase customer value"),
            ("tr", "müşteri değerini arttırmak", "001"),
            ("fa", "ارتقا", "003"),
        ),
    ),
    _term(
        "win-back", 4,
        "Bringing lost customers back to the firm, a sub-aim of CRM.",
        tr=("kaybedilen müşterilerin geri kazanılması", "001"),
        fa=("بازگرداندن مشتریان از دست رفته",),
        pl=("odzyskiwanie utraconych klientów",),
        also=(("en", "win back lost customers"),),
    ),
    _term(
        "getting to know the customer", 4,
        "Learning who a customer is and what they need, the first phase of a relationship in "
        "the Polish notes and the heart of CRM in the Turkish ones.",
        tr=("müşterini daha yakından tanımak", "000"),
        fa=("شناسایی مشتریان", "003"),
        pl=("poznanie klienta", "004"),
    ),
    _term(
        "cooperation and nurturing", 4,
        "Working together with the customer and keeping the relationship cared for, the second "
        "phase of a relationship in the Polish notes.",
        tr=("müşterilerle işbirliği", "001"),
        fa=("همکاری با مشتری",),
        pl=("współpraca i jej pielęgnacja", "004"),
    ),
    # 5. CRM models (types)
    _term(
        "operational CRM", 5,
        "The front-office side of CRM that records every sale, campaign and service contact "
        "in the customer's history and serves the customer fast and without error.",
        tr=("operasyonel CRM", "000"),
        fa=("CRM عملیاتی",),
        pl=("CRM operacyjny",),
        also=(("tr", "işlevsel MİY", "001"), ("pl", "operacyjny", "004")),
    ),
    _term(
        "analytical CRM", 5,
        "The side of CRM that analyses what operational CRM records, to understand and predict "
        "customer behaviour and to design campaigns.",
        tr=("analitik CRM", "000"),
        fa=("CRM تحلیلی",),
        pl=("CRM analityczny",),
        also=(("tr", "analitik MİY", "001"), ("pl", "analityczny", "004")),
    ),
    _term(
        "collaborative CRM", 5,
        "The side of CRM that shares customer knowledge across departments, channels, partners "
        "and suppliers so that every contact can be personal and consistent.",
        tr=("paylaşımcı CRM", "000"),
        fa=("CRM مشارکتی",),
        pl=("CRM kooperacyjny",),
        also=(
            ("en", "interactive CRM"),
            ("tr", "işbirlikçi MİY", "001"),
            ("pl", "interakcyjny", "004"),
        ),
    ),
    _term(
        "strategic CRM", 5,
        "The side of CRM that sets customer goals and judges the profitability of segments and "
        "single customers with a customer-based rather than product-based cost model.",
        tr=("stratejik MİY", "001"),
        fa=("CRM استراتژیک",),
        pl=("CRM strategiczny",),
    ),
    _term(
        "cross-selling", 5,
        "Selling a customer products from other lines than the one they already buy.",
        tr=("çapraz satış", "000", "001"),
        fa=("فروش متقابل",),
        pl=("sprzedaż krzyżowa",),
        also=(("en", "cross-sell"),),
    ),
    _term(
        "up-selling", 5,
        "Persuading a customer to buy a more expensive or larger version of what they buy.",
        tr=("yukarı satış", "001"),
        fa=("بیش‌فروشی",),
        pl=("up-selling",),
        also=(("en", "up-sell"),),
    ),
    # 6. Elements and technologies
    _term(
        "elements of CRM", 6,
        "The four things that must work together for CRM to succeed: strategy, processes, "
        "people and technology.",
        tr=("müşteri ilişkileri yönetiminin unsurları", "001"),
        fa=("عناصر CRM",),
        pl=("elementy CRM",),
        also=(("en", "CRM elements"), ("tr", "CRM’in bileşenleri", "000")),
    ),
    _term(
        "customer database", 6,
        "One database of customers, their purchases and contacts, shared by every channel and "
        "department of the firm.",
        tr=("veri tabanı", "000", "001"),
        fa=("پایگاه دادهای مشتری", "003"),
        pl=("centralna baza danych", "004"),
        also=(("en", "database"),),
    ),
    _term(
        "database marketing", 6,
        "Marketing driven by the customer database: who the customers are, what, when and how "
        "much they buy, when they leave for competitors and who is most valuable.",
        tr=("veri tabanına dayalı pazarlama", "000"),
        fa=("بازاریابی پایگاه داده",),
        pl=("marketing bazodanowy",),
        also=(("tr", "veri tabanlı pazarlama", "001"),),
    ),
    _term(
        "data warehouse", 6,
        "A store that gathers shareable data from the firm's operational databases and from "
        "outside market sources, for analysis and forecasting.",
        tr=("veri bankası", "001"),
        fa=("انبار داده",),
        pl=("hurtownia danych",),
        also=(("en", "data bank"), ("tr", "veribankası", "000")),
    ),
    _term(
        "data mining", 6,
        "Searching large databases, as automatically as possible, for meaningful patterns and "
        "rules about customers.",
        tr=("veri madenciliği", "000", "001"),
        fa=("داده‌کاوی",),
        pl=("eksploracja danych",),
    ),
    _term(
        "sales force automation", 6,
        "Software that automates the sales process, shortening the sales cycle and raising the "
        "sales force's productivity.",
        tr=("satış gücü otomasyonu", "001"),
        fa=("اتوماسیون نیروی فروش",),
        pl=("automatyzacja sił sprzedaży",),
        also=(("en", "SFA"),),
    ),
    _term(
        "sales representative", 6,
        "A salesperson who visits prospects and customers in person; the costliest contact a "
        "firm makes, so the time of reps is spent on the most valuable accounts first.",
        tr=("satış temsilcisi",),
        fa=("نماینده فروش",),
        pl=("przedstawiciel handlowy", "004"),
        also=(("en", "sales rep"), ("en", "field sales")),
        found={"przedstawiciel handlowy": "przedstawicieli handlowych"},
    ),
    _term(
        "time and territory management", 6,
        "Dividing the market into sales territories, assigning reps to them and planning the "
        "reps' limited selling time across the prospects and customers of their territory.",
        tr=("zaman ve bölge yönetimi",),
        fa=("مدیریت زمان و قلمرو فروش",),
        pl=("zarządzanie czasem i terytorium", "004"),
        also=(("en", "territory management"), ("en", "sales territory")),
    ),
    _term(
        "telemarketing", 6,
        "Selling and winning prospects by telephone calls from a list: cheaper than a visit, "
        "and converting better than mail or e-mail.",
        tr=("telefonla pazarlama",),
        fa=("بازاریابی تلفنی",),
        pl=("telemarketing",),
        also=(("pl", "telemerkeing", "004"),),
    ),
    _term(
        "customer acquisition cost", 9,
        "What winning one new customer costs: a channel's acquisition spend divided by the "
        "customers it won (CAC), compared across channels and against what those customers "
        "are worth.",
        tr=("müşteri edinme maliyeti",),
        fa=("هزینه جذب مشتری",),
        pl=("koszt pozyskania klienta",),
        also=(("en", "CAC"), ("en", "CAC by channel")),
    ),
    _term(
        "call centre", 6,
        "A contact centre through which customers reach the firm by telephone and other means, "
        "and which the firm uses to reach them.",
        tr=("çağrı merkezi", "001"),
        fa=("مرکز تماس",),
        pl=("call center", "004"),
        also=(("en", "call center"), ("en", "contact centre")),
    ),
    _term(
        "electronic point of sale", 6,
        "A computerised till system that records what is sold at the point of sale and reports "
        "on the store's sales.",
        tr=("elektronik satış noktası", "001"),
        fa=("پایانه فروش الکترونیکی",),
        pl=("elektroniczny punkt sprzedaży",),
        also=(("en", "EPOS"), ("en", "point of sale")),
    ),
    _term(
        "sales channel", 6,
        "A route by which the firm reaches and sells to its customers, from sales "
        "representatives and dealers to call centres, web shops and e-mail.",
        tr=("satış kanalı", "000"),
        fa=("کانال فروش", "003"),
        pl=("kanał dystrybucji", "004"),
        also=(("en", "distribution channel"), ("en", "channel")),
        found={"kanał dystrybucji": "kanały dystrybucji"},
    ),
    # 7. Loyalty and the Pareto rule
    _term(
        "loyalty", 7,
        "A customer's commitment to keep buying from the firm; loyal customers are less price "
        "sensitive and bring in new customers.",
        tr=("müşteri sadakati", "000"),
        fa=("وفاداری مشتری", "003"),
        pl=("lojalność",),
        also=(("en", "customer loyalty"), ("tr", "müşteri bağlılığı", "001")),
    ),
    _term(
        "loyalty programme", 7,
        "A scheme that rewards repeat customers to build the relationship, with the danger that "
        "neglected regulars turn against the firm if new customers get better deals.",
        tr=("sadakat programı", "001"),
        fa=("برنامه وفاداری",),
        pl=("program lojalnościowy", "004"),
        also=(("en", "loyalty program"),),
        found={
            "sadakat programı": "sadakat programlarının",
            "program lojalnościowy": "programy lojalnościowe",
        },
    ),
    _term(
        "customer advocate", 7,
        "A customer so attached to the firm that they promote it to others, which is free "
        "advertising and the aim of a loyalty programme.",
        tr=("marka savunucusu",),
        fa=("مدافع برند",),
        pl=("orędownik", "004"),
        also=(("en", "advocate"),),
    ),
    _term(
        "Pareto rule", 7,
        "The rule of thumb that about 80% of profit comes from about 20% of (regular) "
        "customers, so marketing should be targeted and personal rather than mass.",
        tr=("Pareto kuralı",),
        fa=("قانون پارتو",),
        pl=("reguła Pareto", "004"),
        also=(("en", "80/20 rule"), ("en", "Pareto principle")),
    ),
    _term(
        "relationship marketing", 7,
        "Marketing that aims to turn new and existing customers into loyal repeat buyers, for "
        "example with catalogues and birthday greetings from the customer database.",
        tr=("ilişkisel pazarlama", "001"),
        fa=("بازاریابی رابطه‌مند",),
        pl=("marketing relacyjny", "004"),
    ),
    _term(
        "e-CRM", 7,
        "CRM run through online systems: the right product or service to the right customer at "
        "the right time, on the internet.",
        tr=("E-MİY", "001"),
        fa=("مدیریت الکترونیکی ارتباط با مشتری",),
        pl=("e-CRM",),
        also=(("en", "electronic CRM"),),
    ),
    _term(
        "price sensitivity", 7,
        "How strongly a customer's buying reacts to price; loyalty lowers it.",
        tr=("fiyat hassasiyeti", "001"),
        fa=("حساسیت قیمتی",),
        pl=("wrażliwość cenowa",),
    ),
    _term(
        "referral", 7,
        "A customer recommending the firm to others, which brings in new customers at little "
        "cost; raising referrals is a sub-aim of CRM.",
        tr=("tavsiye", "001"),
        fa=("ارجاع مشتری",),
        pl=("polecenie",),
        also=(("en", "word of mouth"), ("en", "recommendation")),
    ),
    # 8. Process models
    _term(
        "customer centricity", 8,
        "Putting the customer, their needs and satisfaction, rather than the product at the "
        "centre of the firm's strategy and activities.",
        tr=("müşteri odaklılık", "000"),
        fa=("مشتری مداری", "003"),
        pl=("orientacja na klienta",),
        also=(
            ("en", "customer orientation"),
            ("en", "customer focus"),
            ("tr", "müşteri odaklı", "000", "001"),
            ("fa", "مشتری محوری", "003"),
        ),
    ),
    _term(
        "Swift's CRM process cycle", 8,
        "Swift's loop of knowledge discovery, market planning, customer interaction, and "
        "analysis and refinement, repeated so that each round learns from the last.",
        tr=("Swift'in CRM süreç döngüsü",),
        fa=("چرخه فرآیند سی آر ام", "003"),
        pl=("cykl procesu CRM według Swifta",),
        also=(("en", "CRM process cycle"), ("en", "Swift's cycle")),
    ),
    _term(
        "knowledge discovery", 8,
        "The first step of Swift's cycle: analysing customer data and characteristics to find "
        "out who the customers are and what they are worth.",
        tr=("bilgi keşfi",),
        fa=("کشف دانستهها", "003"),
        pl=("odkrywanie wiedzy",),
    ),
    _term(
        "market planning", 8,
        "The second step of Swift's cycle: deciding which offers go to which customers, "
        "through which channels and when.",
        tr=("pazar planlaması",),
        fa=("برنامه ریزی بازار", "003"),
        pl=("planowanie rynkowe",),
    ),
    _term(
        "customer interaction", 8,
        "The third step of Swift's cycle: carrying out the plan through the channels, with the "
        "relevant information at the right time.",
        tr=("müşteri etkileşimi", "001"),
        fa=("تعامل با مشتری", "003"),
        pl=("interakcja z klientem",),
    ),
    _term(
        "analysis and refinement", 8,
        "The fourth step of Swift's cycle: learning from the customers' responses and adjusting "
        "the next round.",
        tr=("analiz ve iyileştirme",),
        fa=("تجزیه و تحلیل و پالایش", "003"),
        pl=("analiza i doskonalenie",),
    ),
    _term(
        "Peppers and Rogers' four business functions", 8,
        "Peppers and Rogers' model of a customer-based firm: a customer database, production "
        "and service tailored to each customer, one joined-up customer communication, and "
        "channels with customer-specific prices.",
        tr=("Peppers ve Rogers'ın dört iş işlevi",),
        fa=("مدل یکپارچه سازی کارکردهای کسب و کار", "003"),
        pl=("cztery funkcje biznesowe według Peppersa i Rogers",),
        also=(("en", "Peppers & Rogers"), ("fa", "پیرز و راجرز", "003")),
    ),
    _term(
        "Gartner's eight building blocks", 8,
        "Gartner's checklist for CRM: vision, strategy, customer experience, organisational "
        "collaboration, processes, customer information strategy, technology and metrics.",
        tr=("Gartner'ın sekiz yapı taşı",),
        fa=("هشت گام رویکرد گارتنر", "003"),
        pl=("osiem elementów CRM według Gartnera",),
        also=(("en", "Gartner's eight steps"),),
    ),
    _term(
        "marketing mix", 8,
        "The four Ps that traditional marketing strategy decides: product, price, place "
        "(distribution) and promotion.",
        tr=("pazarlama karması",),
        fa=("آمیخته بازاریابی", "003"),
        pl=("marketing mix",),
        also=(("en", "4 Ps"), ("en", "four Ps"), ("fa", "چهار P", "003")),
    ),
    _term(
        "touch point", 8,
        "Any place or moment where a customer meets the firm, such as a shop, a call or a web "
        "page; CRM maps and manages them.",
        tr=("müşteri temas noktaları", "001"),
        fa=("نقاط تماس", "003"),
        pl=("punkt styku z klientem",),
        also=(("en", "touchpoint"),),
    ),
    _term(
        "internal customer", 8,
        "An employee seen as a customer of the firm, since staff who are served well serve the "
        "external customers well.",
        tr=("iç müşteri",),
        fa=("مشتریان درون سازمانی", "003"),
        pl=("klient wewnętrzny",),
    ),
    # 9. Success and measurement
    _term(
        "customer satisfaction", 9,
        "How far a customer's experience of the firm meets or beats what they expected; raising "
        "it is a main aim of CRM and the road to loyalty.",
        tr=("müşteri tatmini", "001"),
        fa=("رضایت مشتری", "003"),
        pl=("zadowolenie klienta",),
        also=(("en", "satisfaction"), ("tr", "müşteri memnuniyeti", "000")),
    ),
    _term(
        "churn", 9,
        "Customers ending their relationship with the firm, often by leaving for a competitor; "
        "the churn rate is the share of customers lost in a period.",
        tr=("kaybedilen müşteri", "001"),
        fa=("ریزش مشتری",),
        pl=("utrata klienta",),
        also=(
            ("en", "lost customer"),
            ("en", "customer churn"),
            ("en", "attrition"),
            ("tr", "müşteri ayrılmaları", "001"),
        ),
    ),
    _term(
        "key performance indicator", 9,
        "A number that tracks how well a goal is being met; CRM success needs several, from the "
        "technology's success to the customer-focused culture.",
        tr=("anahtar performans göstergesi", "002"),
        fa=("شاخص کلیدی عملکرد",),
        pl=("kluczowy wskaźnik efektywności",),
        also=(("en", "KPI"),),
    ),
    _term(
        "CRM metrics", 9,
        "The internal and external measures of CRM's success and failure, used to refine the "
        "strategy and to reward staff (the last of Gartner's building blocks).",
        tr=("CRM ölçütleri",),
        fa=("معیارهای سنجش", "003"),
        pl=("mierniki CRM",),
        also=(("en", "metrics"),),
    ),
    _term(
        "success factors", 9,
        "What makes CRM work: teamwork, communication inside the firm and with customers, "
        "understanding their needs, and meeting and anticipating their requests.",
        tr=("başarı faktörleri", "000"),
        fa=("عوامل موفقیت",),
        pl=("czynniki sukcesu",),
        also=(("en", "critical success factors"),),
    ),
    _term(
        "customer-focused culture", 9,
        "A company culture of sharing customer knowledge and working as a team, without which "
        "CRM technology alone fails.",
        tr=("CRM odaklı kurum kültürü", "002"),
        fa=("فرهنگ سازمانی مشتری‌مدار",),
        pl=("kultura organizacyjna zorientowana na klienta",),
        also=(("en", "CRM culture"),),
    ),
    _term(
        "social CRM", 9,
        "Managing customer relationships interactively through social media as well as the "
        "firm's own channels.",
        tr=("sosyal CRM", "002"),
        fa=("CRM اجتماعی",),
        pl=("społecznościowy CRM",),
    ),
    _term(
        "complaint turnaround", 9,
        "The time from a customer's service request to the resolution of its issue, across "
        "every channel and recontact; a quick turnaround after complaints is a measure of CRM "
        "success, and slow or unresolved complaints are what customers tell in public.",
        tr=("hızlı geri dönüş", "002"),
        fa=("پاسخ سریع به شکایت",),
        pl=("szybka reakcja na reklamację",),
        also=(("en", "turnaround"),),
    ),
    _term(
        "customer profitability", 9,
        "The profit a customer or segment earns the firm after the cost of serving them; in "
        "CRM, profit comes from customers rather than products.",
        tr=("müşteri kârlılığı", "001"),
        fa=("سودآوری مشتری",),
        pl=("rentowność klienta",),
        also=(("tr", "müşteri karlılığı", "001"),),
    ),
)


# ---------------------------------------------------------------------------------------------
# Lookup

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_FOLD = str.maketrans({
    "ي": "ی", "ى": "ی", "ك": "ک", "\u200c": None, "\u200d": None,  # Persian letter forms, ZWNJ
    "’": None, "'": None, "′": None, "`": None,  # apostrophes: "CRM’in" = "CRM'in" = "CRMin"
    "-": " ", "–": " ", "—": " ", "/": " ", "_": " ", ".": " ", ",": " ", ";": " ", ":": " ",
    "(": " ", ")": " ", "!": " ", "?": " ", "&": " and ",
})


def _key(text: str) -> str:
    """The search key of a wording: case, accents, diacritics and punctuation folded.

    Latin letters lose their accents (``"müşteri"`` -> ``"musteri"``, ``"ł"`` -> ``"l"``,
    Turkish dotless and dotted i both -> ``"i"``). Persian is spelled with and without the
    zero-width non-joiner or a space between a word's parts (``داده‌کاوی``, ``داده کاوی``), so
    spaces are dropped from keys in Arabic script.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("İ", "i").replace("ı", "i").replace("Ł", "l").replace("ł", "l")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_FOLD)
    text = " ".join(text.split())
    return text.replace(" ", "") if _ARABIC_SCRIPT.search(text) else text


class TermNotFound(KeyError):
    """No glossary term, or more than one, matches the wording looked up.

    Attributes
    ----------
    term : str
        The wording that was looked up.
    suggestions : list of str
        Close wordings to try instead, best first.
    """

    def __init__(self, message: str, term: str, suggestions: list[str]):
        super().__init__(message)
        self.message = message
        self.term = term
        self.suggestions = suggestions

    def __str__(self) -> str:
        return self.message


@functools.cache
def _index(language: str | None) -> tuple[tuple[str, str, Term], ...]:
    """(key, wording, term) for every wording, optionally of one language."""
    return tuple((_key(w.text), w.text, term)
                 for term in TERMS for w in term.wordings(language))


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of "
                         f"{', '.join(repr(code) for code in LANGUAGES)} or None")


def _ranked(query: str, rows: list[tuple[str, str, Term]], limit: int) -> list[str]:
    """The wordings most like ``query`` (difflib ratio of keys), best first, one per term."""
    def similarity(row: tuple[str, str, Term]) -> float:
        return difflib.SequenceMatcher(None, query, row[0]).ratio()

    ranked, seen = [], set()
    for _, text, term in sorted(rows, key=similarity, reverse=True):
        if id(term) not in seen:
            seen.add(id(term))
            ranked.append(text)
    return ranked[:limit]


def lookup(term: str, language: str | None = None) -> Term:
    """Find a glossary term from any of its wordings.

    The search ignores case, accents and diacritics (``"musteri tatmini"`` finds *müşteri
    tatmini*, ``"zarzadzanie relacjami"`` finds *zarządzanie relacjami z klientem*) and
    punctuation. An exact wording wins; otherwise the beginning of a wording is enough, as long
    as it begins the wordings of one term only.

    Parameters
    ----------
    term : str
        A wording in English, Turkish, Persian or Polish, or the beginning of one.
    language : {"en", "tr", "fa", "pl"}, optional
        Search the wordings of this language only.

    Returns
    -------
    Term
        The entry; it shows as a readable card in a notebook.

    Raises
    ------
    TermNotFound
        A ``KeyError``: no term matches, or the beginning given matches several terms. The
        message names the wording and suggests close matches.
    ValueError
        ``language`` is not one of the four codes.

    Examples
    --------
    >>> from sim import glossary
    >>> glossary.lookup("musteri tatmini").english
    'customer satisfaction'
    >>> glossary.lookup("utrata", language="pl").english
    'churn'
    """
    _check_language(language)
    query = _key(term)
    index = _index(language)
    where = "" if language is None else f" in {LANGUAGES[language]}"
    if not query:
        raise TermNotFound(f"empty glossary lookup {term!r}", term, [])
    for matches in ([row for row in index if row[0] == query],
                    [row for row in index if row[0].startswith(query)]):
        terms = {id(row[2]): row[2] for row in matches}
        if len(terms) == 1:
            return next(iter(terms.values()))
        if terms:
            choices = _ranked(query, matches, limit=8)
            raise TermNotFound(
                f"{term!r} is ambiguous{where}: it matches {len(terms)} glossary terms; did you "
                f"mean {_quoted(choices)}?", term, choices)
    close = difflib.get_close_matches(query, [row[0] for row in index], n=5, cutoff=0.6)
    suggestions = _ranked(query, [row for row in index if row[0] in close], limit=5)
    hint = (f"did you mean {_quoted(suggestions)}?" if suggestions
            else "glossary.table() lists every term")
    raise TermNotFound(f"no glossary term matches {term!r}{where}; {hint}", term, suggestions)


def _quoted(texts: list[str]) -> str:
    return ", ".join(repr(text) for text in texts)


# ---------------------------------------------------------------------------------------------
# Tables and the page


def _sources(ids: tuple[str, ...] | None) -> str | None:
    return None if ids is None else ", ".join(ids)


def table(language: str | None = None):
    """The glossary as a DataFrame, one row per term, in digest-section order.

    Parameters
    ----------
    language : {"en", "tr", "fa", "pl"}, optional
        Show only this language's main wording and sources next to the English term; by
        default all three languages are shown.

    Returns
    -------
    pandas.DataFrame
        Columns ``section``, ``english``, then per language the wording (``turkish``,
        ``persian``, ``polish``) and its sources (``turkish_sources``, ...: document ids such as
        ``"000, 001"``, or ``None`` for a standard translation), then ``definition``.
    """
    import pandas as pd

    _check_language(language)
    codes = [c for c in ("tr", "fa", "pl") if language in (None, c)]
    rows = []
    for term in TERMS:
        row = {"section": term.section, "english": term.english}
        for code in codes:
            name = _FIELD[code]
            row[name] = getattr(term, name)
            row[f"{name}_sources"] = _sources(getattr(term, f"{name}_sources"))
        row["definition"] = term.definition
        rows.append(row)
    return pd.DataFrame(rows)


_INTRO = """\
# Glossary: CRM in English, Türkçe, فارسی and Polski

<!-- Generated by sim.glossary.markdown(); edit sim/glossary.py, not this page. -->

The terms of the course, grouped by the nine sections of the course, with the wording
each course document uses. Look a term up from a notebook in any of the four languages, with or
without accents; the beginning of a term is enough when it is unambiguous:

```python
from sim import glossary
glossary.lookup("churn")              # the term, its meaning and all its wordings
glossary.lookup("musteri tatmini")    # finds "müşteri tatmini"
glossary.lookup("zarzadzanie relacjami", language="pl")
glossary.table("tr")                  # the whole glossary as a DataFrame
```

A wording followed by a document id is as that course document uses it: [000], [001] and [002]
are the Turkish lecture notes, [003] the Persian and [004] the Polish ones. Where a document uses
a term only in an inflected form, that form follows in quotes. A wording without an id does not
occur in the course documents in that language: it is a standard translation. The first wording
in a cell is the main one; the others are variants.
"""


def _cell(term: Term, code: str) -> str:
    if code == "en":
        return "; ".join([f"**{term.english}**", *(w.text for w in term.wordings("en")[1:])])
    return "; ".join(term._label(w) for w in term.wordings(code))


def markdown() -> str:
    """The glossary page (``notebooks/glossary.md``), one table per digest section.

    Returns
    -------
    str
        Markdown text, ending in a newline.
    """
    parts = [_INTRO]
    header = " | ".join(["English", *(LANGUAGES[c] for c in ("tr", "fa", "pl")), "Meaning"])
    for number, title in SECTIONS.items():
        parts.append(f"\n## {number}. {title}\n\n| {header} |\n|{' --- |' * 5}\n")
        for term in TERMS:
            if term.section == number:
                cells = [_cell(term, code) for code in LANGUAGES] + [term.definition]
                parts.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")
    return "".join(parts)
