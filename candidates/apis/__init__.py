"""The candidates app's HTTP layer (SPEC 3): thin views that authenticate, validate and answer.

* ``read.py`` — GET endpoints over the mirror (list, find, detail, interactions, schema).
* ``write.py`` — POST/PATCH/DELETE endpoints: validate, stage files, accept one mutation (202);
  ``staging.py`` parses the reserved members and stages inline files for it.
  What a write *means* is built in ``candidates/write_plans.py``; the engine executes it through
  ``candidates/operations/``.
* ``session.py`` — the candidate's own session (verification, session, my data).
* ``resources.py`` — one view per route where a route has both reads and writes.
"""
