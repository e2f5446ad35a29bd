"""ML system design interview simulator: interviewer, grader and their knowledge base."""
