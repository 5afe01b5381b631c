"""Due-diligence routes (documents); they join the diligence blueprint (cade/diligence/views.py)."""
