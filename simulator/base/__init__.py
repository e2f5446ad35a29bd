"""Layer 1: errors, settings, section ids, text normalisation and term matching.

Imports nothing else of the simulator."""
