"""End-of-day feedback: a private 1–6 score, optional words and ideas, anonymous on request."""
