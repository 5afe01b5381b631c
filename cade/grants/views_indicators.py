"""Routes for grant indicators (joins the grants blueprint; imported at the end of cade/grants/views.py)."""
