"""Candidate sessions (SPEC 7): emailed verification codes, bearer sessions, person-scoped reads.

A session belongs to an email address, not to a region: it sees every mirror record with that
email in its environment, in any region, and nothing else.
"""
