"""Due-diligence routes (payees); they join the diligence blueprint (cade/diligence/views.py)."""
