"""Loading stage: reads content files into unlinked papers and profiles."""
