"""End-of-day feedback: a private 1–6 score, optional words and topic ideas, anonymous on request."""
