"""A call's public questions and answers, and its corrigenda and deadline extensions."""
