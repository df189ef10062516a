"""Where the model looks: relevance mapped back onto the case, the review queue, verdicts."""
