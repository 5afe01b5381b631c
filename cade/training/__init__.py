"""Training and capacity development: courses, their sessions and who enrols in them."""
