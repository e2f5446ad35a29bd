"""Layer 7: the grade report as Markdown, JSON and HTML, and its chart."""
