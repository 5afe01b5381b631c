"""Routes for grant closure (joins the grants blueprint; imported at the end of cade/grants/views.py)."""
