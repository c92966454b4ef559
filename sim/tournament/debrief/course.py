"""The course map of the debrief: the notebooks, and the levers a strategy spends money on.

The debrief ties what it shows to where the course teaches it. This module holds that fixed
text and nothing else: the titles of the course notebooks (:data:`NOTEBOOKS`, as
``notebooks/README.md`` lists them) and the levers (:data:`LEVERS`), each with the timeline's
``cost_*`` columns it sums and its course section and notebook. The numbers (:mod:`.stats`), the
prompts (:mod:`.prompts`) and the spending tables read it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LEVERS", "NOTEBOOKS", "NOT_LEVERS", "Lever"]

#: The course notebooks a prompt may point to: number -> title (``notebooks/README.md``).
NOTEBOOKS = {
    "01": "Why CRM", "02": "Select customers", "03": "Acquire customers",
    "04": "Retain customers", "05": "Grow customer value", "06": "Win back",
    "07": "Operational CRM", "08": "Analytical CRM", "09": "Collaborative CRM",
    "10": "Strategic CRM", "11": "Process models and success",
    "12": "Capstone: design your strategy",
}


@dataclass(frozen=True)
class Lever:
    """A lever a strategy spends money on, and where the course teaches it.

    Attributes
    ----------
    label : str
        Name shown in the pages.
    columns : tuple of str
        The timeline's ``cost_*`` columns it sums (EUR per cycle).
    section : int
        Section of the course digest (:data:`sim.glossary.SECTIONS`).
    notebook : str
        Notebook number (:data:`NOTEBOOKS`).
    """

    label: str
    columns: tuple[str, ...]
    section: int
    notebook: str


#: Levers by key, in the order the pages show them. Any other ``cost_*`` column of the timeline
#: becomes a lever of its own; the costs in :data:`NOT_LEVERS` come with the sales, not with a
#: decision, and are left out of "where the money went".
LEVERS = {
    "acquisition": Lever("acquisition (mass and targeted)", ("cost_mass", "cost_targeted"), 4,
                         "03"),
    "welcome": Lever("welcome discounts", ("cost_welcome",), 7, "03"),
    "service": Lever("service centre (agents)", ("cost_agents",), 5, "07"),
    "crm_system": Lever("CRM system", ("cost_crm_system",), 6, "07"),
    "training": Lever("training", ("cost_training",), 6, "11"),
    "retention": Lever("retention offers", ("cost_retention",), 4, "04"),
    "loyalty": Lever("loyalty programme", ("cost_loyalty",), 7, "04"),
    "cross_sell": Lever("cross-sell", ("cost_cross_sell",), 4, "05"),
    "winback": Lever("win-back", ("cost_winback",), 3, "06"),
    "collaboration": Lever("collaboration", ("cost_collaboration",), 5, "09"),
    "self_service": Lever("web self-service", ("cost_self_service",), 6, "07"),
    "email": Lever("e-mail service", ("cost_email",), 6, "07"),
    "integration": Lever("channel integration", ("cost_integration",), 6, "07"),
}
NOT_LEVERS = {"cost_goods": "cost of goods sold", "cost_serve": "cost to serve",
              "cost_total": "all costs"}
