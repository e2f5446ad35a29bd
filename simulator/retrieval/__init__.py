"""Layer 3: the chromadb index over the knowledge base, with an injected embedding function."""
