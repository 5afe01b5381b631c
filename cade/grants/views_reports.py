"""Routes for grant reports (joins the grants blueprint; imported at the end of cade/grants/views.py)."""
