"""The outcome of one run: tidy tables plus everything needed to replay it (DESIGN section 7).

KPI definitions, used everywhere (notebooks, reports, experiments):

* **churn rate of a cycle** = customers lost in the cycle / customers active at its start;
* **annual churn rate** = 1 - (product over cycles of (1 - churn rate)) ** (365 / days run): the
  share of customers a year loses, compounded from the cycles;
* **retention rate** = 1 - annual churn rate;
* **CAC** (customer acquisition cost) = marketing spend / customers won by marketing, per channel
  and overall (referrals cost nothing and are not counted); the sales channels' CAC (reps with
  sales force automation, telemarketing, e-mail campaigns, web shop) are each channel's cost /
  its customers (:func:`sim.analytics.acquisition.cac_by_channel`, inf if it won nobody);
* **rep productivity** = visits per rep and working day, the share of visits that won a
  customer, and the margin to date of the reps' customers per selling hour paid (reps x
  ``sales.selling_hours`` a working day);
* **realised CLV** = mean over customers acquired during the run of their margin to date,
  discounted to day 0 continuously at ``annual_discount_rate`` (margin = revenue x gross margin
  - cost to serve);
* **customer equity** (ground truth) = sum over active customers of their expected remaining
  discounted margin at baseline behaviour, ``m / (h + d)`` with margin rate ``m`` per day,
  baseline hazard ``h`` and discount rate ``d`` per day;
* **top-20% revenue share** = share of all revenue of the run brought by the 20% of customers
  who brought most;
* **service level** = share of contacts answered within ``service.wait_target_minutes``;
* **online share** = share of service requests made by web self-service or e-mail rather
  than by a call (the first channel a customer used; an unresolved online contact may still
  end in a call, counted in the timeline's ``escalations``);
* **service cost per request** = (agents + self-service + e-mail) / service requests, EUR;
* **price index** = what customers paid (list prices less discounts) / what the same purchases
  cost at the scenario's reference prices (1 for a firm that never changed its prices);
* **discount cost** = the customer-specific discounts given, EUR (revenue is at list prices);
* **complaint turnaround** = mean time from a service request to the resolution of its issue,
  in hours, over the requests resolved by the end of the run, whatever channels they went
  through (:func:`sim.analytics.service.turnaround`); read it with the **share of requests
  resolved**;
* **social posts** = complaint and praise posts about service contacts on social media
  (``scenario.social``; they add to word of mouth, see :mod:`sim.engine.social`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ScenarioError

__all__ = ["KPI_INFO", "RUN_FILE", "Result", "top_share"]

#: The file :meth:`Result.to_csv` and :meth:`Result.to_parquet` write next to the tables:
#: provenance (scenario, strategy, seed, package version), each table's row count and column
#: types, and the full scenario; :meth:`Result.load` reads it.
RUN_FILE = "run.json"
RUN_FORMAT = "crmlab-result"
#: Raise when run.json changes shape, so an older Result.load refuses it by name.
RUN_FORMAT_VERSION = 3  # 2: channel_contacts table, scenario channels; 3: rep_visits, sales
#: Default of ``Result.load(scenario=...)``: use the scenario stored in run.json.
_STORED = object()
# to_csv writes each float's shortest round-trip repr. pandas >= 3.1 parses every float exactly
# (and deprecates the switch); before, only the "round_trip" parser was guaranteed exact.
_PANDAS = tuple(int(n) for n in re.match(r"(\d+)\.(\d+)", pd.__version__).groups())
_EXACT_FLOATS = {} if _PANDAS >= (3, 1) else {"float_precision": "round_trip"}

#: Every KPI of :meth:`Result.summary`: (label, unit, format) for reports and tables.
KPI_INFO: dict[str, tuple[str, str, str]] = {
    "customers_start": ("Customers on day 0", "customers", "{:,.0f}"),
    "customers_active_end": ("Active customers at the end", "customers", "{:,.0f}"),
    "customers_acquired": ("Customers acquired", "customers", "{:,.0f}"),
    "customers_lost": ("Customers lost", "customers", "{:,.0f}"),
    "annual_churn_rate": ("Annual churn rate", "share/year", "{:.1%}"),
    "retention_rate": ("Annual retention rate", "share/year", "{:.1%}"),
    "revenue": ("Revenue", "EUR", "{:,.0f}"),
    "profit": ("Profit", "EUR", "{:,.0f}"),
    "marketing_cost": ("Marketing cost", "EUR", "{:,.0f}"),
    "cac": ("Acquisition cost per customer (CAC)", "EUR/customer", "{:,.2f}"),
    "cac_mass": ("CAC, mass marketing", "EUR/customer", "{:,.2f}"),
    "cac_targeted": ("CAC, targeted marketing", "EUR/customer", "{:,.2f}"),
    "referral_share": ("Share of new customers from word of mouth", "share", "{:.1%}"),
    "realised_clv": ("Realised CLV of new customers (discounted)", "EUR/customer", "{:,.2f}"),
    "customer_equity": ("Customer equity (ground truth)", "EUR", "{:,.0f}"),
    "top20_revenue_share": ("Revenue share of the top 20% of customers", "share", "{:.1%}"),
    "contacts": ("Service contacts", "contacts", "{:,.0f}"),
    "mean_wait_minutes": ("Mean wait for service", "minutes", "{:,.2f}"),
    "service_level": ("Answered within the target wait", "share", "{:.1%}"),
    "first_contact_resolution": ("First-contact resolution", "share", "{:.1%}"),
    "requests": ("Service requests (all channels)", "requests", "{:,.0f}"),
    "online_share": ("Requests made online (web or e-mail) first", "share", "{:.1%}"),
    "service_cost_per_request": ("Service cost per request", "EUR/request", "{:,.2f}"),
    "price_index": ("Price paid against the reference prices", "index", "{:.3f}"),
    "discount_cost": ("Customer-specific discounts", "EUR", "{:,.0f}"),
    "complaint_turnaround_hours": ("Complaint turnaround (request to resolution)", "hours",
                                   "{:,.1f}"),
    "complaints_resolved_share": ("Service requests resolved by the end", "share", "{:.1%}"),
    "social_complaints": ("Complaint posts on social media", "posts", "{:,.0f}"),
    "social_praise": ("Praise posts on social media", "posts", "{:,.0f}"),
    "satisfaction_end": ("Mean satisfaction at the end (ground truth)", "0-1", "{:.3f}"),
    "retention_offers": ("Retention offers made", "offers", "{:,.0f}"),
    "retention_cost": ("Cost of retention offers", "EUR", "{:,.0f}"),
    "retention_waste_share": ("Accepted offers to customers who would have stayed (truth)",
                              "share", "{:.1%}"),
    "retention_wasted_cost": ("Cost of those wasted offers", "EUR", "{:,.0f}"),
    "cross_sell_accepted": ("Products added by cross-selling", "products", "{:,.0f}"),
    "won_back": ("Customers won back", "customers", "{:,.0f}"),
    "sales_cost": ("Cost of the sales channels (reps, SFA, telemarketing, e-mail, web shop)",
                   "EUR", "{:,.0f}"),
    "cac_rep": ("CAC, sales reps", "EUR/customer", "{:,.2f}"),
    "cac_telemarketing": ("CAC, telemarketing", "EUR/customer", "{:,.2f}"),
    "cac_email": ("CAC, e-mail campaigns", "EUR/customer", "{:,.2f}"),
    "cac_web": ("CAC, web shop", "EUR/customer", "{:,.2f}"),
    "rep_visits_per_day": ("Visits per rep and working day", "visits", "{:,.2f}"),
    "rep_conversion": ("Share of reps' visits that won a customer", "share", "{:.1%}"),
    "rep_value_per_hour": ("Margin so far of reps' customers per selling hour", "EUR/hour",
                           "{:,.2f}"),
}


def top_share(values, top: float = 0.2) -> float:
    """Share of the total held by the largest ``top`` fraction of values.

    Parameters
    ----------
    values : array-like
        Non-negative amounts, one per customer (EUR).
    top : float
        Fraction of customers, in (0, 1].

    Returns
    -------
    float
        Between ``top`` (perfect equality) and 1; NaN if the total is zero.
    """
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    if v.size == 0 or total <= 0:
        return math.nan
    # round() first: 0.1 x 30 is 3.0000000000000004 in floating point, which ceil makes 4.
    k = max(1, math.ceil(round(top * v.size, 9)))
    return float(v[:k].sum() / total)


@dataclass(frozen=True, eq=False)
class Result:
    """Tables of one run and its provenance.

    Attributes
    ----------
    scenario : Scenario
        The scenario simulated.
    strategy : str
        The strategy's readable name.
    seed : int
        The seed used (pass it to :func:`sim.run` to replay the run exactly).
    customers : pandas.DataFrame
        One row per customer ever acquired: observable history (money in EUR, days since start).
    transactions : pandas.DataFrame
        ``customer_id, day, amount, purchases``: one row per customer and day with purchases
        (the lifetimes / PyMC-Marketing input format; :func:`sim.analytics.rfm.summary_data`
        takes it as it is, those libraries want ``pd.to_datetime(day, unit="D")`` as dates).
    service : pandas.DataFrame
        One row per service contact: arrival day, wait and handling minutes, resolution.
    timeline : pandas.DataFrame
        One row per CRM cycle: customers, flows, money by lever, service KPIs, decisions.
    truth : pandas.DataFrame
        The latent ground truth per customer (rates, hazards, satisfaction, loss reason,
        expected remaining value), which strategies never see.
    campaigns : pandas.DataFrame
        One row per campaign contact (retention offer, cross-sell, win-back): day, customer,
        accepted, cost in EUR, and for retention offers the latent ``would_have_left`` (whether
        the customer's own churn clock would have rung while the offer ran, at the hazard of
        the day before): accepted offers to customers who would have stayed are waste.
    channel_contacts : pandas.DataFrame
        One row per web self-service or e-mail contact (calls are in ``service``): customer,
        channel, arrival day, wait for the answer in minutes (0 for self-service), whether the
        issue was complex, resolved, and escalated to a call, with that call's ``issue`` in
        ``service`` (-1 if none).
    rep_visits : pandas.DataFrame
        One row per sales rep's visit to a prospect (:mod:`sim.engine.sales`): day, start hour
        within the rep's selling day, hours (travel and meeting), territory, rep id (numbered
        across territories in each cycle's allocation), prospect (the person's number in the
        market: the firm's prospect list), the prospect's segment, converted, and the
        ``customer_id`` won (-1 if not).
    """

    scenario: object
    strategy: str
    seed: int
    customers: pd.DataFrame
    transactions: pd.DataFrame
    service: pd.DataFrame
    timeline: pd.DataFrame
    truth: pd.DataFrame
    campaigns: pd.DataFrame
    channel_contacts: pd.DataFrame
    rep_visits: pd.DataFrame

    TABLES = ("customers", "transactions", "service", "timeline", "truth", "campaigns",
              "channel_contacts", "rep_visits")

    def __repr__(self) -> str:
        tl = self.timeline
        active = int(tl["active_end"].iloc[-1]) if len(tl) else 0
        name = getattr(self.scenario, "name", None)  # None after Result.load(scenario=None)
        return (f"Result(scenario={name!r}, strategy={self.strategy!r}, "
                f"seed={self.seed}, customers={len(self.customers)}, active_end={active})")

    def summary(self) -> dict[str, float]:
        """Key performance indicators derived from the tables (definitions in the module doc).

        Returns
        -------
        dict
            KPI name -> value. Money in EUR, waits in minutes, rates as fractions.
        """
        tl, cu, sv = self.timeline, self.customers, self.service
        days = float(tl["days"].sum())
        keep = (1.0 - tl["churn_rate"].fillna(0.0)).prod()
        annual_churn = 1.0 - keep ** (365.0 / days) if days else math.nan
        mass, targeted = tl["cost_mass"].sum(), tl["cost_targeted"].sum()
        won_mass, won_targeted = tl["acquired_mass"].sum(), tl["acquired_targeted"].sum()
        from .analytics.clv import customer_equity, mean_realised_clv  # the one definition

        new = cu[cu["channel"] != "initial"]
        answered = sv[sv["answered"]]
        requests = tl["requests"].sum()
        # Made online first (some of these end in a call: see escalations).
        online = tl["web_contacts"].sum() + tl["email_contacts"].sum()
        return {
            "customers_start": int((cu["channel"] == "initial").sum()),
            "customers_active_end": int(tl["active_end"].iloc[-1]),
            "customers_acquired": len(new),
            "customers_lost": int((cu["status"] == "lost").sum()),
            "annual_churn_rate": float(annual_churn),
            "retention_rate": float(1.0 - annual_churn),
            "revenue": float(tl["revenue"].sum()),
            "profit": float(tl["profit"].sum()),
            "marketing_cost": float(mass + targeted),
            "cac": _ratio(mass + targeted, won_mass + won_targeted),
            "cac_mass": _ratio(mass, won_mass),
            "cac_targeted": _ratio(targeted, won_targeted),
            "referral_share": _ratio(tl["acquired_referral"].sum(), len(new)),
            "realised_clv": mean_realised_clv(cu),
            "customer_equity": customer_equity(self, basis="truth"),
            "top20_revenue_share": top_share(cu["revenue"]),
            "contacts": len(sv),
            "mean_wait_minutes": float(answered["wait_minutes"].mean()) if len(answered) else
            math.nan,
            "service_level": float(answered["within_target"].mean()) if len(answered) else
            math.nan,
            "first_contact_resolution": float(sv.loc[sv["handle_minutes"].notna(),
                                                     "resolved"].mean()) if len(sv) else math.nan,
            "requests": int(requests),
            "online_share": _ratio(online, requests),
            "service_cost_per_request": _ratio(
                tl["cost_agents"].sum() + tl["cost_self_service"].sum() + tl["cost_email"].sum(),
                requests),
            "price_index": _price_index(tl),
            "discount_cost": float(tl["cost_discount"].sum()),
            **self._turnaround_kpis(),
            # Results saved before social media was modelled have no post counts.
            "social_complaints": _total(tl, "social_complaints"),
            "social_praise": _total(tl, "social_praise"),
            "satisfaction_end": float(tl["satisfaction"].iloc[-1]),
            **self._campaign_kpis(),
            **self._sales_kpis(),
        }

    def _sales_kpis(self) -> dict[str, float]:
        """The sales channels: cost, CAC of each (:mod:`sim.analytics.acquisition`, the one
        definition), the reps' productivity."""
        from .analytics.acquisition import CHANNEL_COSTS, cac_by_channel

        tl = self.timeline
        table = cac_by_channel(self)
        sales = ("rep", "telemarketing", "email", "web")
        return {
            "sales_cost": float(sum(tl[c].sum() for ch in sales for c in CHANNEL_COSTS[ch])),
            **{f"cac_{ch}": float(table.loc[ch, "cac"]) for ch in sales},
            "rep_visits_per_day": _ratio(tl["rep_visits"].sum(), tl["rep_days"].sum()),
            "rep_conversion": _ratio(tl["acquired_rep"].sum(), tl["rep_visits"].sum()),
            "rep_value_per_hour": float(table.loc["rep", "value_per_rep_hour"]),
        }

    def _turnaround_kpis(self) -> dict[str, float]:
        from .analytics.service import turnaround  # the one definition

        hours = turnaround(self)["turnaround_hours"]
        done = hours.notna()
        return {"complaint_turnaround_hours": float(hours[done].mean()) if done.any()
                else math.nan,
                "complaints_resolved_share": float(done.mean()) if len(hours) else math.nan}

    def _campaign_kpis(self) -> dict[str, float]:
        """Campaign counts, costs and the waste of retention offers (from the truth)."""
        cp = self.campaigns
        offers = cp[cp["campaign"] == "retention"]
        taken = offers[offers["accepted"]]
        wasted = taken[~taken["would_have_left"]]
        winback = cp[cp["campaign"] == "winback"]
        return {
            "retention_offers": len(offers),
            "retention_cost": float(offers["cost"].sum()),
            "retention_waste_share": _ratio(len(wasted), len(taken)),
            "retention_wasted_cost": float(wasted["cost"].sum()),
            "cross_sell_accepted": int(cp.loc[cp["campaign"] == "cross_sell", "accepted"].sum()),
            "won_back": int(winback["accepted"].sum()),
        }

    # -- export and import, for researchers sharing results -------------------------------------
    def to_csv(self, folder: str | Path) -> list[Path]:
        """Write every table as ``<name>.csv``, and the run's metadata ``run.json``, to ``folder``.

        Parameters
        ----------
        folder : str or Path
            Where to write (created if needed); files of the same names there are replaced.

        Returns
        -------
        list of Path
            The tables in :attr:`TABLES` order, then ``run.json`` (see :meth:`load`).

        Notes
        -----
        CSV is plain text any tool reads, but it keeps values, not types: read back with plain
        :func:`pandas.read_csv`, categorical columns come back as text, a nullable boolean
        column with missing values (``campaigns.would_have_left``) as objects, and the empty
        category ``""`` (``truth.loss_reason`` of a customer not lost) as missing. :meth:`load`
        restores all of them from the column types recorded in ``run.json``; :meth:`to_parquet`
        keeps them in the files themselves. Each file is written to a temporary name and renamed
        into place, so a reader never sees a half-written file; ``run.json`` is written last.

        ``transactions`` has whole days since the start, not dates. lifetimes and PyMC-Marketing
        pass their date column through :func:`pandas.to_datetime`, which reads whole numbers as
        nanoseconds (every purchase on one date), so give them
        ``pd.to_datetime(transactions["day"], unit="D")`` (day 0 = 1970-01-01).
        """
        return self._export(folder, "csv")

    def to_parquet(self, folder: str | Path) -> list[Path]:
        """Write every table as ``<name>.parquet``, and the metadata ``run.json``, to ``folder``.

        Parquet keeps each column's type: categories (with their order and unused ones),
        booleans with missing values and floats come back exactly with
        :func:`pandas.read_parquet`, and R (``arrow``), Polars or DuckDB read the files too.
        Only a table without rows (``campaigns`` of a strategy that makes no offers) loses its
        categories, which Parquet keeps with the data; :meth:`load` restores them from
        ``run.json``.

        Parameters
        ----------
        folder : str or Path
            Where to write (created if needed); files of the same names there are replaced.

        Returns
        -------
        list of Path
            The tables in :attr:`TABLES` order, then ``run.json`` (see :meth:`load`).

        Notes
        -----
        Written with pyarrow, which stores pandas' own column metadata next to the data. Each
        file is written to a temporary name and renamed into place, so a reader never sees a
        half-written file; ``run.json`` is written last.
        """
        return self._export(folder, "parquet")

    def _export(self, folder: str | Path, fmt: str) -> list[Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in self.TABLES:
            table = getattr(self, name)
            path = folder / f"{name}.{fmt}"
            if fmt == "csv":
                _write_atomic(path, table.to_csv, index=False)
            else:
                _write_atomic(path, table.to_parquet, index=False, engine="pyarrow")
            paths.append(path)
        # Last, so that in a fresh folder run.json exists only once every table is complete.
        text = json.dumps(self._run_info(), indent=2) + "\n"
        _write_atomic(folder / RUN_FILE, Path.write_text, text, encoding="utf-8")
        paths.append(folder / RUN_FILE)
        return paths

    def _run_info(self) -> dict:
        """The contents of ``run.json``: provenance, each table's columns, the full scenario."""
        from . import __version__  # defined by sim/__init__.py only after it imports this module

        to_dict = getattr(self.scenario, "to_dict", None)
        return {
            "format": RUN_FORMAT,
            "format_version": RUN_FORMAT_VERSION,
            "sim_version": __version__,
            "scenario_name": getattr(self.scenario, "name", None),
            "strategy": self.strategy,
            "seed": None if self.seed is None else int(self.seed),
            "tables": {name: _schema(getattr(self, name)) for name in self.TABLES},
            # The whole scenario, not just its name: a variant made with Scenario.replace keeps
            # the shipped name but is a different market.
            "scenario": to_dict() if callable(to_dict) else None,
        }

    @classmethod
    def load(cls, folder: str | Path, *, fmt: str = "auto", scenario: object = _STORED) -> Result:
        """Read a folder written by :meth:`to_csv` or :meth:`to_parquet` back into a Result.

        Parameters
        ----------
        folder : str or Path
            A folder holding ``run.json`` and the tables.
        fmt : {"auto", "parquet", "csv"}
            Which files to read. ``"auto"`` reads Parquet when every table is there as Parquet,
            otherwise CSV.
        scenario : Scenario or None, optional
            Use this instead of the scenario stored in ``run.json``. Needed only when the stored
            one no longer validates (it was written by a version of the package whose scenario
            fields differ): pass ``Scenario.load(...)``, or ``None`` to read the tables anyway.

        Returns
        -------
        Result
            The same tables, with the same columns and column types (categories included), the
            strategy name and the seed of the result written. The scenario is rebuilt from the
            full copy in ``run.json``, so a variant made with :meth:`Scenario.replace` comes back
            as that variant; it is ``None`` if the result written had a scenario without
            ``to_dict``.

        Raises
        ------
        FileNotFoundError
            ``run.json`` or one of the tables is missing.
        ValueError
            ``fmt`` is not allowed, ``run.json`` is not a CRM Lab result of a format this
            version reads, or a table's columns or row count differ from ``run.json`` (the
            folder mixes files from different runs).
        ScenarioError
            The stored scenario does not validate and no ``scenario`` was given.

        Notes
        -----
        From CSV, a missing value in a text column (none of the package's tables has one)
        comes back as ``""``, and a missing value in a categorical column that also has the
        category ``""`` comes back as ``""``: CSV writes both as an empty field.
        """
        folder = Path(folder)
        if fmt not in ("auto", "parquet", "csv"):
            raise ValueError(f"fmt={fmt!r} is not allowed; use 'auto', 'parquet' or 'csv'")
        info_path = folder / RUN_FILE
        if not info_path.is_file():
            raise FileNotFoundError(f"{info_path} not found: Result.load reads a folder written "
                                    f"by Result.to_csv or Result.to_parquet")
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if not isinstance(info, dict) or info.get("format") != RUN_FORMAT:
            raise ValueError(f"{info_path} is not a CRM Lab result (no \"format\": "
                             f"\"{RUN_FORMAT}\")")
        if info.get("format_version") != RUN_FORMAT_VERSION:
            raise ValueError(f"{info_path}: format_version={info.get('format_version')!r} "
                             f"(written by crmlab {info.get('sim_version')}); this version "
                             f"reads {RUN_FORMAT_VERSION}")
        if fmt == "auto":
            complete = all((folder / f"{name}.parquet").is_file() for name in cls.TABLES)
            fmt = "parquet" if complete else "csv"
        tables = {}
        for name in cls.TABLES:
            path = folder / f"{name}.{fmt}"
            if not path.is_file():
                raise FileNotFoundError(f"{path} not found (run.json lists the tables "
                                        f"{', '.join(cls.TABLES)})")
            tables[name] = _read_table(path, fmt, info["tables"][name])
        if scenario is _STORED:
            scenario = _stored_scenario(info, info_path)
        return cls(scenario=scenario, strategy=info["strategy"], seed=info["seed"], **tables)


def _write_atomic(path: Path, write, *args, **kwargs) -> None:
    """Call ``write(tmp, *args, **kwargs)`` on a temporary name next to ``path``, then rename it.

    A rename within one folder is atomic, so a reader sees the old file or the new one, never
    half of one. If writing fails the temporary file is removed and ``path`` is left as it was.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp, *args, **kwargs)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _schema(table: pd.DataFrame) -> dict:
    """Row count, column types and categories of a table, for ``run.json``."""
    columns, categories = {}, {}
    for col in table.columns:
        dtype = table[col].dtype
        columns[str(col)] = str(dtype)
        if isinstance(dtype, pd.CategoricalDtype):
            categories[str(col)] = {"values": dtype.categories.tolist(),
                                    "ordered": bool(dtype.ordered)}
    return {"rows": len(table), "columns": columns, "categories": categories}


def _read_table(path: Path, fmt: str, schema: dict) -> pd.DataFrame:
    """One table from ``path``, checked against (and for CSV, typed by) its ``run.json`` entry."""
    names = list(schema["columns"])
    if fmt == "parquet":
        table = pd.read_parquet(path, engine="pyarrow")
        # A table without rows has no row group, so Parquet has nowhere to keep its categories.
        for col, spec in schema["categories"].items():
            if col in table:
                table[col] = table[col].astype(pd.CategoricalDtype(spec["values"],
                                                                   spec["ordered"]))
    else:
        found = list(pd.read_csv(path, nrows=0).columns)
        if found != names:
            raise ValueError(f"{path} has the columns {found}, but run.json says {names}: the "
                             f"folder mixes files from different runs or versions")
        table = _read_csv(path, schema)
    if list(table.columns) != names or len(table) != schema["rows"]:
        raise ValueError(f"{path} has {len(table)} rows and the columns {list(table.columns)}, "
                         f"but run.json says {schema['rows']} rows and {names}: the folder "
                         f"mixes files from different runs")
    return table


def _read_csv(path: Path, schema: dict) -> pd.DataFrame:
    """A CSV table with the column types ``run.json`` recorded (see :meth:`Result.to_csv`)."""
    columns, categories = schema["columns"], schema["categories"]
    text = {col for col, kind in columns.items()
            if col in categories or kind in ("object", "str") or kind.startswith("string")}
    # Only an empty field is missing, and only in typed columns: pandas' default list would
    # also read "NA" or "null" as missing, and the empty category "" too.
    table = pd.read_csv(path, dtype={col: (str if col in text else kind)
                                     for col, kind in columns.items()},
                        keep_default_na=False, na_values={col: [""] for col in columns
                                                          if col not in text},
                        **_EXACT_FLOATS)
    for col in text:
        spec = categories.get(col)
        if spec is None:
            table[col] = table[col].astype(columns[col])
            continue
        # Match on text (the file's), keep the categories' own values and order.
        codes = pd.Index([str(v) for v in spec["values"]]).get_indexer(table[col])
        table[col] = pd.Categorical.from_codes(codes, categories=spec["values"],
                                               ordered=spec["ordered"])
    return table


def _stored_scenario(info: dict, where: Path):
    """The scenario in ``run.json``, rebuilt and validated; ``None`` if none was stored."""
    data = info.get("scenario")
    if data is None:
        return None
    from . import __version__
    from .scenario import Scenario

    try:
        return Scenario.from_dict(data)
    except ScenarioError as err:
        raise ScenarioError(
            f"{err.detail} (this scenario was written by crmlab {info.get('sim_version')}, this "
            f"is {__version__}); pass scenario=Scenario.load(...) or scenario=None to "
            f"Result.load to read the tables anyway", field=err.field, source=str(where),
        ) from None


def _price_index(tl: pd.DataFrame) -> float:
    """The run's price index: each cycle's index weighted by its revenue at reference prices."""
    index = tl["price_index"].to_numpy(dtype=float)
    paid = (tl["revenue"] - tl["cost_discount"]).to_numpy(dtype=float)
    ok = np.isfinite(index) & (index > 0)
    if not ok.any():
        return math.nan
    if (index[ok] == 1.0).all():
        return 1.0
    reference = paid[ok] / index[ok]
    return _ratio(paid[ok].sum(), reference.sum())


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def _total(timeline: pd.DataFrame, column: str) -> float:
    """Sum of a timeline column; NaN for a saved result made before the column existed."""
    return float(timeline[column].sum()) if column in timeline else math.nan
