"""Two-stage calls: a concept-note call shortlists, and the shortlisted organisations submit full proposals.

The full-proposal call names its concept-note call (`Call.concept_call_id`,
set on the stages page of the full call: links.py) and a margin in percent.
The concept-note call then decides shortlist or reject on the awards pages
(awards' `outcomes_for`); releasing its decisions moves the concept notes to
shortlisted or rejected and tells their organisations, and `invitations.py`,
one of awards' release hooks, starts for each shortlisted organisation a
draft full proposal from its concept note. Only those organisations may apply
to the full call (eligibility.py), the amount they request stays within the
margin of the concept note's (completeness.py), and the full proposal's
reviewers read the concept note beside it (reading.py).
"""
