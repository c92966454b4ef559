"""Tournaments: teams' strategies against each other on the same market, safely.

Each team hands in one Python file defining ``strategy(view)``, the same function the course's
exercises ask for::

    import sim

    def strategy(view):                       # view: sim.FirmView, what the firm knows
        return sim.Actions(mass_spend=8_000.0, agents=2)

Every team, and a few presets as yardsticks, play the same replications of one scenario
(common random numbers: the same seeds, so the same market, customers and competitor waves);
the leaderboard ranks the teams by an objective (profit over the horizon, or customer equity
at its end) with 95 % intervals, and says when two neighbours are not significantly different.

Python::

    from sim.tournament import run_tournament
    result = run_tournament("entries/", "classroom", replications=10)   # a fresh seed
    result.leaderboard; result.incidents

Command line (see ``python -m sim tournament --help``)::

    python -m sim tournament entries/ --scenario classroom --replications 10

**Untrusted code stays contained**, in layers; each says what it guarantees:

* *By design, whatever the entry does*: each entry runs in its own worker process
  (:mod:`.worker`), started in an empty private folder with a scrubbed environment and handed
  its own file's text only. Each CRM cycle the tournament sends it the cycle's observable view
  as plain data (:mod:`.wire`): the truth, the engine and the runs' seeds never leave the
  tournament's process (the worker gets a one-way key for its own random numbers,
  :func:`.sandbox.entry_key`), so no code in the worker can reach them. The answer comes back
  as JSON, checked as the engine checks actions; nothing a worker sends is unpickled. The
  tournament kills a worker that overruns the decision time or its memory.
* *The operating system* (:mod:`.confine`, Linux where namespaces are allowed): no network at
  all; the entries', output, working, home and temporary folders and other processes hidden;
  a user id of its own when run as root; no capabilities, ``no_new_privs``. The kernel keeps
  these even against code that subverts the Python interpreter. Which layers were active is
  recorded in ``settings["confinement"]``; a missing one is printed as a warning.
* *Resource limits and an audit hook* (:mod:`.guard`): memory, CPU time, file size, no new
  processes or threads; the hook refuses other files, writing, processes, signals, the network
  and C-level access, and keeps no state an entry could change from Python. It is not proof
  against an attacker who corrupts the interpreter's memory (:pep:`578` says so): where the
  operating-system layers are missing (macOS), run strangers' entries in a container or VM.

An entry that raises (``"error"``), overruns the decision time limit (``"timeout"``: its worker
is killed and restarted), exceeds its memory (``"memory"``), kills its worker (``"crash"``),
answers with something that is not valid actions (``"invalid"``), tries what the sandbox
refuses (``"forbidden"``: other files, writing, processes, network, ``ctypes``, ...) or whose
file does not load (``"load"``) has the cycle decided by the **fallback**, and the incident is
recorded with the reason.

**The seed is the tournament's secret.** With its run's seed an entry could replay its market
with ``sim.run`` and read the latent truth; so workers are never told it, and by default a
tournament draws a fresh seed (:func:`sim.rng.fresh_seed`), printed and recorded
(``settings["seed"]``, ``tournament.json``): give it as ``seed=`` (``--seed``) to replay the
tournament exactly. A small seed chosen by hand is one an entry could find by trying.

**The fallback** (``fallback=``, ``--fallback``): ``"last"`` (default) repeats the entry's last
valid actions without their campaign lists (retention, cross-sell and win-back contacts name
customers at one moment), and uses ``sim.Actions()``'s defaults (no marketing, one agent) before
the entry's first valid decision; or a preset's name, which then decides the cycle. After
``max_strikes`` time-outs, memory failures or crashes in one run, and at once for a file that
does not load, the entry sits out the rest of the run on the fallback (:mod:`.proxy`).

Each run starts the entry's file afresh in its worker, so module variables are a memory for
one run, as a preset's memory is; ``random`` and ``numpy.random`` are seeded from the run's key
and the cycle, so even an entry that draws from them replays identically with the same seed.

Modules: :mod:`.entries` (reading the team files), :mod:`.sandbox` (a worker, from outside),
:mod:`.worker`, :mod:`.confine` and :mod:`.guard` (inside), :mod:`.pipe` and :mod:`.wire`
(what crosses), :mod:`.proxy` (the team's strategy in the engine), :mod:`.runner` (playing the
runs), :mod:`.leaderboard`, :mod:`.output` (the report folder), :mod:`.cli`, :mod:`.result`.
"""

from .output import write
from .result import OBJECTIVES, TournamentResult
from .runner import DEFAULT_PRESETS, run_tournament

__all__ = ["DEFAULT_PRESETS", "OBJECTIVES", "TournamentResult", "run_tournament", "write"]
