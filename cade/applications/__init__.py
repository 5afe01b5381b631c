"""Applications to calls: answers, budget lines, attachments and submission."""
