"""Due-diligence routes (queue); they join the diligence blueprint (cade/diligence/views.py)."""
