"""The country brief: one document per country that any instrument names as member or partner, for each
audience whose views list it.

Its subjects are the country codes (sorted), its view is `country.make_country_view` (made of
`select.make_view` views only, the one place releasability is enforced), its file is
`<audience>/countries/<CODE><suffix>` and its template is the format folder's `country`
(`briefing/country.html.j2`, `memo/country.xml.j2`). An audience none of whose views lists the country gets
no brief on it. A country brief is as long as the country's memberships make it: no page budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..country import CountryView, audiences_of, country_codes, instruments_naming, make_country_view
from ..edition import in_edition
from ..select import audiences_for
from . import register

if TYPE_CHECKING:
    from ..formats import Format, Rendered, Writer
    from ..model import Corpus, Instrument

COUNTRIES_FOLDER = "countries"
COUNTRIES_FILE = "countries.yaml"


@dataclass(frozen=True)
class CountryBrief:
    name: str = "countries"
    command: str = "build"
    budgeted: bool = False

    def subjects(self, corpus: Corpus) -> Sequence[str]:
        return country_codes(corpus)

    def audiences(self, corpus: Corpus, subject: str) -> Sequence[str]:
        return audiences_of(corpus, subject)

    def view(self, corpus: Corpus, subject: str, audience: str, edition: str) -> CountryView:
        return make_country_view(in_edition(corpus, edition), subject, audience, edition)

    def instruments(self, corpus: Corpus, subject: str, audience: str) -> Sequence[Instrument]:
        return [i for i in instruments_naming(corpus, subject) if audience in audiences_for(corpus, i)]

    def stem(self, subject: str) -> str:
        return f"{COUNTRIES_FOLDER}/{subject}"

    def template_names(self, fmt: Format, audience: str) -> Sequence[str]:
        return [f"{fmt.template_folder}/country{fmt.template_suffix}"]

    def source_file(self, corpus: Corpus, subject: str) -> str:
        """content/countries.yaml, as messages name it."""
        for shown, path in corpus.files.items():
            if path.name == COUNTRIES_FILE and path.parent.resolve() == corpus.root.resolve():
                return shown
        return COUNTRIES_FILE

    def render(self, writer: Writer, view: CountryView, template_names: Sequence[str]) -> Rendered:
        return writer.render(view, template_names)


COUNTRIES = register(CountryBrief())
